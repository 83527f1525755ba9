// IndexedDB's classes (IDBRequest, IDBTransaction, …) as globals, as a browser has them: idb
// checks `instanceof` against them. Each simulated device still gets its own IDBFactory.
import 'fake-indexeddb/auto';
