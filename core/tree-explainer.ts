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
 *
 * Imported models (model:import) split on columns of their own, computed from the encoded row
 * (`TreeArrays.inputs`): each column belongs to one FLASH feature, withholding a feature gives
 * each of its columns its "missing" value (NaN, a sentinel, 0 for a one-hot column), and the
 * trees' margin goes through the model's own `link` instead of a sigmoid. With no `inputs` the
 * columns are the 45 features and withholding is NaN, exactly as for model-build's own models.
 */

import type { Explainer, OcclusionScores } from "./explain.js";
import type { TreeArrays, TreeInputs } from "./onnx-trees.js";
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
  /** Per node: split column, or -1 for a leaf. */
  private readonly feature: Int32Array;
  /** Per node: the FLASH feature its column comes from (-1: a leaf or a constant column). */
  private readonly nodeGroup: Int32Array;
  /** Per split: 1 when the withheld value of its column goes right (for NaN: 1 - missingLeft). */
  private readonly withheldRight: Int32Array;
  /** Per split: its left child; the right child is the next node. */
  private readonly child: Int32Array;
  private readonly threshold: Float32Array;
  /** Per split: 1 when a missing value goes left. */
  private readonly missingLeft: Int32Array;
  /** Per leaf: its value. */
  private readonly value: Float64Array;
  private readonly roots: Int32Array;
  private readonly baseMargin: number;
  private readonly link: (margin: number) => number;
  private readonly inputs: TreeInputs | undefined;
  /** The columns of the row being walked (imported models only). */
  private readonly scratch: Float32Array;
  /** Per column: its pillar's index, -1 for none. */
  private readonly pillarOf: Int8Array;
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
    const pillarOfFeature = new Int8Array(FEATURE_COUNT).fill(-1);
    PILLARS.forEach((pillar, p) => {
      for (const i of PILLAR_FEATURE_INDICES[pillar]) pillarOfFeature[i] = p;
    });
    this.inputs = trees.inputs;
    const width = trees.inputs?.width ?? FEATURE_COUNT;
    const group = trees.inputs?.group ?? Int32Array.from({ length: FEATURE_COUNT }, (_, i) => i);
    const withheld = trees.inputs?.withheld ?? new Float32Array(FEATURE_COUNT).fill(Number.NaN);
    this.pillarOf = Int8Array.from(group, (g) => (g < 0 ? -1 : pillarOfFeature[g]!));
    this.scratch = new Float32Array(trees.inputs ? width : 0);
    this.link = trees.link ?? sigmoid;
    const n = trees.feature.length;
    this.feature = new Int32Array(n);
    this.nodeGroup = new Int32Array(n).fill(-1);
    this.withheldRight = new Int32Array(n);
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
        if (f >= width) throw new RangeError(`a split uses column ${f}, the trees' input has ${width}`);
        if (this.pillarOf[f]! >= 0) mask |= 1 << this.pillarOf[f]!;
        this.threshold[at] = trees.threshold[old]!;
        this.missingLeft[at] = trees.missingLeft[old]!;
        this.nodeGroup[at] = group[f]!;
        const w = withheld[f]!;
        this.withheldRight[at] = w !== w ? 1 - trees.missingLeft[old]! : +!(w <= trees.threshold[old]!);
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
    const { feature, child, threshold, missingLeft, value, pillarOf, withheldRight } = this;
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
      // Every other pillar's columns hold their withheld values: those splits always go one way.
      while (feature[j]! >= 0 && pillarOf[feature[j]!] !== p) j = child[j]! + withheldRight[j]!;
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
    while (this.feature[j]! >= 0) j = this.child[j]! + this.withheldRight[j]!;
    return j;
  }

  /** The row the trees read: the encoded row itself, or the imported model's columns of it. */
  private columns(x: Float32Array, offset: number): number {
    if (!this.inputs) return offset;
    this.inputs.expand(x, offset, this.scratch);
    return -1;
  }

  /** Raw probability of one encoded row, rounded as onnxruntime rounds it (it may stand in for it). */
  score(x: Float32Array, offset: number): number {
    const { roots, feature, child, threshold, missingLeft, value } = this;
    const at = this.columns(x, offset);
    const u = at < 0 ? this.scratch : x;
    const o = at < 0 ? 0 : at;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t]!;
      for (let f = feature[i]!; f >= 0; f = feature[i]!) {
        const v = u[o + f]!;
        i = next(child, threshold, missingLeft, i, v);
      }
      // float32 sums in tree order, base value last: how onnxruntime's TreeEnsemble adds up.
      sum = Math.fround(sum + value[i]!);
    }
    return this.link(Math.fround(sum + this.baseMargin));
  }

  explain(x: Float32Array, offset: number): OcclusionScores {
    const { roots, feature, child, threshold, missingLeft, value, stamp, path, treePillars, reduced, nodeGroup, withheldRight, link } = this;
    const at = this.columns(x, offset);
    const u = at < 0 ? this.scratch : x;
    const o = at < 0 ? 0 : at;
    stamp.fill(0);
    const delta = new Float64Array(FEATURE_COUNT);
    const pillarSums = Float64Array.from(this.pillarBase);
    let full = 0;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t]!;
      let depth = 0;
      for (let f = feature[i]!; f >= 0; f = feature[i]!) {
        path[depth++] = i;
        const v = u[o + f]!;
        i = next(child, threshold, missingLeft, i, v);
      }
      const leaf = value[i]!;
      full += leaf;

      // Each present feature on the path: walk again from its first node with it withheld.
      for (let k = 0; k < depth; k++) {
        const start = path[k]!;
        const hidden = nodeGroup[start]!;
        if (hidden < 0 || stamp[hidden] === t + 1 || x[offset + hidden] !== x[offset + hidden]) continue;
        stamp[hidden] = t + 1;
        let j = start;
        for (let g = feature[j]!; g >= 0; g = feature[j]!) {
          j = nodeGroup[j] === hidden ? child[j]! + withheldRight[j]! : next(child, threshold, missingLeft, j, u[o + g]!);
        }
        delta[hidden] = delta[hidden]! + (value[j]! - leaf);
      }

      // Each pillar alone (every other pillar's values withheld): its reduced trees.
      const used = treePillars[t]!;
      for (let p = 0; p < pillarSums.length; p++) {
        if ((used & (1 << p)) === 0) continue;
        let j = reduced.roots[t * PILLAR_COUNT + p]!;
        for (let g = reduced.feature[j]!; g >= 0; g = reduced.feature[j]!) {
          const w = u[o + g]!;
          j = next(reduced.child, reduced.threshold, reduced.missingLeft, j, w);
        }
        pillarSums[p] = pillarSums[p]! + reduced.value[j]!;
      }
    }
    const base = this.baseMargin;
    const withoutFeature = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const v = x[offset + f]!;
      if (v === v) withoutFeature[f] = link(base + full + delta[f]!);
    }
    return {
      full: link(base + full),
      pillars: Array.from(pillarSums, (s) => link(base + s)),
      withoutFeature,
    };
  }
}
