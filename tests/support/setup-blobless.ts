// The sync tests again, on an IndexedDB that refuses Blobs as WebKit's ephemeral sessions do.
import { refuseBlobsInIndexedDB } from './blobless-indexeddb';

refuseBlobsInIndexedDB();
