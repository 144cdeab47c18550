/**
 * Occlusion explanations computed on the trees themselves (core/onnx-trees.ts): what the model
 * would say with one feature withheld, or with only one pillar's features, without scoring those
 * variants as extra rows. The answers are exactly the trees' answers for the variant rows
 * (a withheld value is NaN and follows each split's learned missing-value branch, as when a
 * client leaves a field out); only the float rounding of the sum can differ from onnxruntime's.
 *
 * Why it is cheap: a tree only changes its answer for a withheld feature when that feature is
 * on the path the full row takes, so per tree only the features on that path (at most its depth)
 * are re-walked, from the first node that uses them. For the pillar-only variants each tree is
 * reduced once per pillar to the splits on that pillar (every other split always sends the
 * variant down its missing-value branch, so it is folded away); a tree that never splits on a
 * pillar reduces to its all-missing leaf, and those leaves are summed when the explainer is made.
 *
 * The nodes are laid out again with each split's two children side by side, so a step is
 * `child + goRight` with no branch on the comparison (tree walks are otherwise dominated by
 * mispredicted branches).
 */

import type { Explainer, OcclusionScores } from "./explain.js";
import type { TreeArrays } from "./onnx-trees.js";
import { FEATURE_COUNT, PILLARS, PILLAR_FEATURE_INDICES } from "./schema.js";

const PILLAR_COUNT = PILLARS.length;

/**
 * The node after split `j` for value `v`: its left child, or the one after it (right) unless
 * `v <= threshold`, except that a missing value on a missing-left split goes left. Branch-free:
 * the comparison's outcome is arithmetic, not a jump.
 */
function next(child: Int32Array, threshold: Float32Array, missingLeft: Int32Array, j: number, v: number): number {
  return child[j]! + ((+!(v <= threshold[j]!)) & (1 ^ ((+(v !== v)) & missingLeft[j]!)));
}

function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

export class TreeExplainer implements Explainer {
  /** Per node: split feature, or -1 for a leaf. */
  private readonly feature: Int32Array;
  /** Per split: its left child; the right child is the next node. */
  private readonly child: Int32Array;
  private readonly threshold: Float32Array;
  /** Per split: 1 when a missing value goes left. */
  private readonly missingLeft: Int32Array;
  /** Per leaf: its value. */
  private readonly value: Float64Array;
  private readonly roots: Int32Array;
  private readonly baseMargin: number;
  private readonly pillarOf = new Int8Array(FEATURE_COUNT).fill(-1);
  /** Per tree: which features were already re-walked (stamped with the tree's number + 1). */
  private readonly stamp = new Int32Array(FEATURE_COUNT);
  private readonly path: Int32Array;
  /** Per tree: bit p set when the tree splits on a feature of pillar p. */
  private readonly treePillars: Uint8Array;
  /** Per pillar: the sum of the all-missing answers of the trees that never split on it. */
  private readonly pillarBase: Float64Array;
  /** The per-pillar reduced trees, same layout as the full ones; root of (tree t, pillar p) at t * 5 + p. */
  private readonly reduced: { feature: Int32Array; child: Int32Array; threshold: Float32Array; missingLeft: Int32Array; value: Float64Array; roots: Int32Array };

  constructor(trees: TreeArrays) {
    if (trees.featureCount !== FEATURE_COUNT) throw new RangeError(`the trees expect ${trees.featureCount} features, the schema has ${FEATURE_COUNT}`);
    PILLARS.forEach((pillar, p) => {
      for (const i of PILLAR_FEATURE_INDICES[pillar]) this.pillarOf[i] = p;
    });
    const n = trees.feature.length;
    this.feature = new Int32Array(n);
    this.child = new Int32Array(n);
    this.threshold = new Float32Array(n);
    this.missingLeft = new Int32Array(n);
    this.value = new Float64Array(n);
    this.roots = new Int32Array(trees.roots.length);
    this.baseMargin = trees.baseMargin;
    this.path = new Int32Array(n);
    this.treePillars = new Uint8Array(trees.roots.length);
    this.pillarBase = new Float64Array(PILLARS.length);

    // Lay each tree out again, breadth first: a split's children are placed together.
    let next = 0;
    const queue = new Int32Array(n);
    for (let t = 0; t < trees.roots.length; t++) {
      this.roots[t] = next;
      let head = 0;
      let tail = 0;
      queue[tail++] = trees.roots[t]!;
      const slot = new Map<number, number>([[trees.roots[t]!, next++]]);
      let mask = 0;
      while (head < tail) {
        const old = queue[head++]!;
        const at = slot.get(old)!;
        const f = trees.feature[old]!;
        this.feature[at] = f;
        if (f < 0) {
          this.value[at] = trees.value[old]!;
          continue;
        }
        mask |= 1 << this.pillarOf[f]!;
        this.threshold[at] = trees.threshold[old]!;
        this.missingLeft[at] = trees.missingLeft[old]!;
        this.child[at] = next;
        slot.set(trees.left[old]!, next++);
        slot.set(trees.right[old]!, next++);
        queue[tail++] = trees.left[old]!;
        queue[tail++] = trees.right[old]!;
      }
      this.treePillars[t] = mask;
      const missing = this.walkAllMissing(this.roots[t]!);
      for (let p = 0; p < PILLARS.length; p++) if ((mask & (1 << p)) === 0) this.pillarBase[p] = this.pillarBase[p]! + this.value[missing]!;
    }
    if (next !== n) throw new RangeError(`the trees have ${n} nodes but only ${next} are reachable from their roots`);
    this.reduced = this.reduceByPillar();
  }

  private reduceByPillar(): TreeExplainer["reduced"] {
    const { feature, child, threshold, missingLeft, value, pillarOf } = this;
    const rf: number[] = [];
    const rc: number[] = [];
    const rt: number[] = [];
    const rm: number[] = [];
    const rv: number[] = [];
    const alloc = (count: number) => {
      const at = rf.length;
      for (let k = 0; k < count; k++) {
        rf.push(-1);
        rc.push(0);
        rt.push(0);
        rm.push(0);
        rv.push(0);
      }
      return at;
    };
    const emit = (node: number, at: number, p: number): void => {
      let j = node;
      while (feature[j]! >= 0 && pillarOf[feature[j]!] !== p) j = child[j]! + 1 - missingLeft[j]!;
      if (feature[j]! < 0) {
        rv[at] = value[j]!;
        return;
      }
      rf[at] = feature[j]!;
      rt[at] = threshold[j]!;
      rm[at] = missingLeft[j]!;
      const c = alloc(2);
      rc[at] = c;
      emit(child[j]!, c, p);
      emit(child[j]! + 1, c + 1, p);
    };
    const roots = new Int32Array(this.roots.length * PILLARS.length).fill(-1);
    for (let t = 0; t < this.roots.length; t++) {
      for (let p = 0; p < PILLARS.length; p++) {
        if ((this.treePillars[t]! & (1 << p)) === 0) continue;
        const at = alloc(1);
        roots[t * PILLARS.length + p] = at;
        emit(this.roots[t]!, at, p);
      }
    }
    return {
      feature: Int32Array.from(rf),
      child: Int32Array.from(rc),
      threshold: Float32Array.from(rt),
      missingLeft: Int32Array.from(rm),
      value: Float64Array.from(rv),
      roots,
    };
  }

  get treeCount(): number {
    return this.roots.length;
  }

  private walkAllMissing(root: number): number {
    let j = root;
    while (this.feature[j]! >= 0) j = this.child[j]! + 1 - this.missingLeft[j]!;
    return j;
  }

  /** Raw probability of one encoded row, rounded as onnxruntime rounds it (it may stand in for it). */
  score(x: Float32Array, offset: number): number {
    const { roots, feature, child, threshold, missingLeft, value } = this;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t]!;
      for (let f = feature[i]!; f >= 0; f = feature[i]!) {
        const v = x[offset + f]!;
        i = next(child, threshold, missingLeft, i, v);
      }
      // float32 sums in tree order, base value last: how onnxruntime's TreeEnsemble adds up.
      sum = Math.fround(sum + value[i]!);
    }
    return sigmoid(Math.fround(sum + this.baseMargin));
  }

  explain(x: Float32Array, offset: number): OcclusionScores {
    const { roots, feature, child, threshold, missingLeft, value, stamp, path, treePillars, reduced } = this;
    stamp.fill(0);
    const delta = new Float64Array(FEATURE_COUNT);
    const pillarSums = Float64Array.from(this.pillarBase);
    let full = 0;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t]!;
      let depth = 0;
      for (let f = feature[i]!; f >= 0; f = feature[i]!) {
        path[depth++] = i;
        const v = x[offset + f]!;
        i = next(child, threshold, missingLeft, i, v);
      }
      const leaf = value[i]!;
      full += leaf;

      // Each present feature on the path: walk again from its first node with it withheld.
      for (let k = 0; k < depth; k++) {
        const start = path[k]!;
        const hidden = feature[start]!;
        if (stamp[hidden] === t + 1 || x[offset + hidden] !== x[offset + hidden]) continue;
        stamp[hidden] = t + 1;
        let j = start;
        for (let g = feature[j]!; g >= 0; g = feature[j]!) {
          const w = g === hidden ? Number.NaN : x[offset + g]!;
          j = next(child, threshold, missingLeft, j, w);
        }
        delta[hidden] = delta[hidden]! + (value[j]! - leaf);
      }

      // Each pillar alone (every other pillar's values withheld): its reduced trees.
      const used = treePillars[t]!;
      for (let p = 0; p < pillarSums.length; p++) {
        if ((used & (1 << p)) === 0) continue;
        let j = reduced.roots[t * PILLAR_COUNT + p]!;
        for (let g = reduced.feature[j]!; g >= 0; g = reduced.feature[j]!) {
          const w = x[offset + g]!;
          j = next(reduced.child, reduced.threshold, reduced.missingLeft, j, w);
        }
        pillarSums[p] = pillarSums[p]! + reduced.value[j]!;
      }
    }
    const base = this.baseMargin;
    const withoutFeature = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const v = x[offset + f]!;
      if (v === v) withoutFeature[f] = sigmoid(base + full + delta[f]!);
    }
    return {
      full: sigmoid(base + full),
      pillars: Array.from(pillarSums, (s) => sigmoid(base + s)),
      withoutFeature,
    };
  }
}
