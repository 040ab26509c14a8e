import { MemoryDocumentStore } from '../../../shared/store';
import { describeDocumentStore, type Doc } from '../../contract/document-store.contract';

describeDocumentStore('MemoryDocumentStore', () => new MemoryDocumentStore<Doc>());
