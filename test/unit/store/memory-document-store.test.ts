import { MemoryDocumentStore } from '../../../shared/store';
import { type Doc, describeDocumentStore } from '../../contract/document-store.contract';

describeDocumentStore('MemoryDocumentStore', () => new MemoryDocumentStore<Doc>());
