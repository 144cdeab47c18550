/**
 * The control plane: one Durable Object holds the split and its last 100 changes. Being a single
 * object, every change is applied in order, so the revision check (expected_revision) is exact.
 */
import { DurableObject } from "cloudflare:workers";
import {
  applyPromote,
  applyRollback,
  applySplitUpdate,
  initialSplit,
  type ActionInput,
  type ChangeResult,
  type Split,
  type SplitChange,
  type SplitRecord,
  type SplitUpdate,
} from "../core/split";

const KEY = "record";

export class SplitControl extends DurableObject<Env> {
  private record!: SplitRecord;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<SplitRecord>(KEY);
      if (stored) {
        this.record = stored;
      } else {
        this.record = initialSplit(new Date());
        await ctx.storage.put(KEY, this.record);
      }
    });
  }

  getSplit(): Split {
    return this.record.split;
  }

  getHistory(limit: number): SplitChange[] {
    return this.record.history.slice(0, Math.max(0, limit));
  }

  async update(update: SplitUpdate): Promise<ChangeResult> {
    return this.commit(applySplitUpdate(this.record, update, new Date()));
  }

  async rollback(input: ActionInput): Promise<ChangeResult> {
    return this.commit(applyRollback(this.record, input, new Date()));
  }

  async promote(input: ActionInput): Promise<ChangeResult> {
    return this.commit(applyPromote(this.record, input, new Date()));
  }

  private async commit(result: ChangeResult): Promise<ChangeResult> {
    if (result.ok) {
      await this.ctx.storage.put(KEY, result.record);
      this.record = result.record;
    }
    return result;
  }
}
