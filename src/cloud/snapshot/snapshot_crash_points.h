// The named crash points of the chunk store, in the order an operation reaches them, and what is
// on disk when the process dies there. ChunkStoreOptions::crash_hook is called with the name;
// by default it is spotkeeper::cloud::CrashPoint (SIGKILL when SPOTKEEPER_CLOUD_CRASH_AT names
// the point). After a crash at any of them, every committed snapshot restores bit-exactly and
// the interrupted snapshot is absent (or, from manifest.after-rename on, present and exact).
#pragma once

namespace spotkeeper::cloud::snapshot {

// Create / GC: a record (header + payload) was appended to an open pack; not fsync'd.
inline constexpr char kCrashPackAfterAppend[] = "snapshot.pack.after-append";
// The pack is fsync'd; its index is not written yet.
inline constexpr char kCrashPackAfterSync[] = "snapshot.pack.after-sync";
// The pack's index is written and published; no manifest names the new chunks yet.
inline constexpr char kCrashPackAfterIndex[] = "snapshot.pack.after-index";
// Create / Copy: the manifest's temp file is written and fsync'd, not renamed.
inline constexpr char kCrashManifestBeforeRename[] = "snapshot.manifest.before-rename";
// The manifest is renamed into place; the directory is not fsync'd yet.
inline constexpr char kCrashManifestAfterRename[] = "snapshot.manifest.after-rename";
// Delete: the manifest is removed (directory fsync'd); no chunk is swept yet.
inline constexpr char kCrashGcAfterManifestDelete[] = "snapshot.gc.after-manifest-delete";
// GC: dead chunks are decided; no pack is rewritten or removed yet.
inline constexpr char kCrashGcBeforePackRewrite[] = "snapshot.gc.before-pack-rewrite";
// GC: the live chunks are in a new pack (fsync'd, indexed); the old packs still exist.
inline constexpr char kCrashGcAfterPackRewrite[] = "snapshot.gc.after-pack-rewrite";
// GC: an old pack file is removed, its index file not yet.
inline constexpr char kCrashGcAfterPackDelete[] = "snapshot.gc.after-pack-delete";

inline constexpr const char* kAllCrashPoints[] = {
    kCrashPackAfterAppend,      kCrashPackAfterSync,       kCrashPackAfterIndex,
    kCrashManifestBeforeRename, kCrashManifestAfterRename, kCrashGcAfterManifestDelete,
    kCrashGcBeforePackRewrite,  kCrashGcAfterPackRewrite,  kCrashGcAfterPackDelete,
};

}  // namespace spotkeeper::cloud::snapshot
