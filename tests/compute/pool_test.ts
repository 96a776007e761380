/**
 * The native backend's array pool: arrays above the base bound are recycled while the working
 * set was that large, a fresh allocation evicts the oldest free arrays first, and tensors
 * of the native backend recycle their arrays.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  adopt,
  allocFloat32,
  clearPool,
  poolStats,
  reclaim,
  setPoolBaseBytes,
} from "../../lib/compute/_pool.ts";
import { NO_NATIVE, tf } from "./_compare.ts";

const KIB = 1024;

Deno.test("the pool keeps up to the largest working set, evicting the oldest on a miss", () => {
  const previous = setPoolBaseBytes(64 * KIB);
  clearPool();
  try {
    const n = 8 * KIB; // 32 KiB each: four alive at once are twice the base bound
    const ids = [{}, {}, {}, {}];
    const arrays = ids.map((id) => {
      const a = allocFloat32(n, false);
      adopt(a, id);
      return a;
    });
    const start = poolStats();
    assert.ok(start.peakLiveBytes >= 4 * 32 * KIB);
    arrays.forEach((a, i) => reclaim(a, ids[i]));
    assert.equal(poolStats().pooledBytes, 4 * 32 * KIB, "all four are free, above the base");
    // Reuse: the same arrays come back, the newest first.
    const again = [allocFloat32(n, true), allocFloat32(n, false)];
    assert.equal(again[0], arrays[3]);
    assert.ok(again[0].every((v) => v === 0), "zeroed on request");
    assert.equal(again[1], arrays[2]);
    assert.equal(poolStats().reused - start.reused, 2);
    const againIds = [{}, {}];
    again.forEach((a, i) => adopt(a, againIds[i]));
    // A miss of another length evicts the oldest free arrays until the new one fits.
    const ownedNow = poolStats().liveBytes;
    const other = allocFloat32(12 * KIB, false);
    const after = poolStats();
    assert.ok(after.evicted - start.evicted >= 1, "evicted the oldest");
    assert.ok(after.liveBytes + after.pooledBytes + other.byteLength <= after.peakLiveBytes);
    assert.equal(ownedNow, after.liveBytes);
    // arrays[0] was the oldest free array: gone; arrays[1] may remain.
    const next = allocFloat32(n, false);
    assert.notEqual(next, arrays[0]);
    // An array not owned by the dataId given is never pooled.
    const before = poolStats().pooledBytes;
    reclaim(again[0], ids[3]);
    assert.equal(poolStats().pooledBytes, before);
    clearPool();
    assert.equal(poolStats().pooledBytes, 0);
    assert.equal(poolStats().peakLiveBytes, poolStats().liveBytes);
  } finally {
    setPoolBaseBytes(previous);
    clearPool();
  }
});

Deno.test({
  name: "native tensors larger than the base bound recycle their arrays",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    const previous = setPoolBaseBytes(64 * KIB);
    clearPool();
    await tf.setBackend("native");
    try {
      const x = tf.ones([3, 8 * KIB]);
      // Two steps: the second takes the first's freed outputs (24 KiB rows × 3 = 96 KiB each).
      const step = () => tf.tidy(() => tf.relu(tf.mul(tf.add(x, 1), 2)).sum().dataSync()[0]);
      assert.equal(step(), 4 * 3 * 8 * KIB);
      const start = poolStats().reused;
      assert.equal(step(), 4 * 3 * 8 * KIB);
      assert.ok(poolStats().reused - start >= 2, `reused ${poolStats().reused - start}`);
      x.dispose();
    } finally {
      setPoolBaseBytes(previous);
      clearPool();
    }
  },
});
