/** Writes a built model's three files; the only file output of model-build. */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelManifest } from "../../core/manifest.js";
import { renderModelCard } from "./model-card.js";

export interface WriteArtifactsResult {
  readonly onnxPath: string;
  readonly manifestPath: string;
  readonly modelCardPath: string;
}

export async function writeModelArtifacts(outDir: string, manifest: ModelManifest, onnx: Uint8Array): Promise<WriteArtifactsResult> {
  await mkdir(outDir, { recursive: true });
  const onnxPath = join(outDir, manifest.onnx.file);
  const manifestPath = join(outDir, "manifest.json");
  const modelCardPath = join(outDir, "MODEL_CARD.md");
  await writeFile(onnxPath, onnx);
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(modelCardPath, renderModelCard(manifest));
  return { onnxPath, manifestPath, modelCardPath };
}
