export * from './document-store';
export * from './firestore-document-store';
export * from './memory-document-store';
