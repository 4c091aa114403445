// s3rver, except that deleting an object never removes the folders it leaves empty.
//
// s3rver's deleteObject removes each folder that has become empty. A PUT into the same folder
// that is between creating the folder and opening its file then fails with ENOENT on a write
// stream that has no error listener, and the uncaught error kills s3rver: eight clients putting
// and deleting in one folder killed it within seconds, and the three-node test (writers storing
// while a deletion removes a session's objects) lost its S3 for good in 4 runs of 30.
// Real S3 has no folders to remove, so leaving them is closer to it, not further.
import { unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const FilesystemStore = require('s3rver/lib/stores/filesystem');
// Replacing a method s3rver no longer has would change nothing, and the crash would be back unseen.
if (
  typeof FilesystemStore.prototype.deleteObject !== 'function' ||
  typeof FilesystemStore.prototype.getResourcePath !== 'function'
)
  throw new Error(
    's3rver-without-folder-removal: s3rver no longer has FilesystemStore#deleteObject/getResourcePath; update this wrapper',
  );

FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((part) =>
      unlink(this.getResourcePath(bucket, key, part)).catch((error) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    ),
  );
};
require('s3rver/bin/s3rver.js');
