package io.herald.bench;

import io.vertx.core.json.JsonObject;

/**
 * One node's figures at the end of a soak minute.
 *
 * @param pid            the node's process
 * @param heapAfterGcKib its live Java heap right after a full collection ({@code jcmd GC.class_histogram}), in KiB;
 *                       -1 when it could not be read
 * @param openFiles      its open file descriptors ({@code /proc/<pid>/fd}); -1 when unreadable
 * @param rssKib         its resident memory, in KiB; -1 when unreadable
 */
record NodeReading(long pid, long heapAfterGcKib, long openFiles, long rssKib) {

  JsonObject json() {
    return new JsonObject().put("pid", pid).put("heap_after_gc_kib", heapAfterGcKib).put("fds", openFiles)
        .put("rss_kib", rssKib);
  }

  String line() {
    return String.format(java.util.Locale.ROOT, "pid %d heap %s fds %d rss %s", pid, mib(heapAfterGcKib), openFiles,
        mib(rssKib));
  }

  static String mib(long kib) {
    return kib < 0 ? "?" : String.format(java.util.Locale.ROOT, "%.1f MiB", kib / 1024.0);
  }
}
