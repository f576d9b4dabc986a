/**
 * Pins the public API: mod.ts exports exactly the names listed here, each
 * with JSDoc, and every name a notebook imports. Widening or narrowing the
 * API is a deliberate change: edit mod.ts and these lists together.
 */
import assert from "node:assert/strict";
import * as path from "node:path";

/** The runtime exports of mod.ts, by section (as its comments group them). */
const PUBLIC_VALUES: Record<string, string> = {
  "Backend, errors, host tensors": `
    BackendError deviceInfo hostTensor initBackend UsageError
  `,
  "Model": `
    computeLogits createModel crossEntropy defaultConfig disposeModel forward
    forwardFlopsPerToken initParams logitsOf modelToHost paramCount paramSpecs PRESETS
    sample trainFlopsPerToken
  `,
  "Checkpoints": `
    checkpointTensorReader decodeNpy encodeNpy fromHfConfig loadCheckpoint
    loadCheckpointConfig loadCheckpointTokenizer openSafetensors readSafetensors
    saveCheckpoint toHfConfig writeSafetensors
  `,
  "Tokenizers": `
    builtinBpe byteTokenizer hfTokenizer loadHfTokenizer resolveTokenizer TokenizerError
    tokenizerFromInfo trainBpe
  `,
  "Corpus and batches": `
    BatchSampler fixedBatches loadCorpus tokenizeSplits unigramEntropy
  `,
  "Training": `
    ConfigError DivergenceError loadSplits lrAt parseTrainConfig readMetrics readSummary
    resolveModel totalCost train
  `,
  "Evaluation": `
    averageAccuracy BUILTIN_SUITE evaluateBatches loadBuiltinTask loadSuite modelLogProb
    parseTaskJsonl scoreSuite scoreTask speedup speedupOverSeeds timeToTarget
  `,
  "Cloning": `
    CLONE_DEFAULTS cloneCheckpoint cloneConfig CloneOptionError cloneParams
    CloneVerificationError DEPTH_MODES depthLayers depthSymmetry HEAD_MODES
    isFunctionPreserving isNoisy planClone singularValues symmetryReport symmetrySummary TIED_MODES
    validateCloneOptions VARIANTS verifyClone
  `,
  "Experiments": `
    axisTitle computeResults COST_AXES costCurve costOn degenerateSources expandGrid
    experimentDir findExperiments formatMeanSd formatSpeedup formatTable loadExperiment
    markdownTable parseShard parseSpec presetOf readResults readSpec referenceStepFlops
    resultRows runGrid specWarnings writeResults
  `,
  "Figures and plots": `
    accuracyVsDeviceHours checkpointSpectrum curvesFigure experimentFigures loadRun
    lossVsTokens mainFigure panelsFigure paperFigures renderFigures resultsOf runSpectra
    sourceQuality sourceSize spectraFigure speedupBars speedupTable symmetryFigure
    taskAccuracyFigure variantAblation
  `,
  "Notebook display and helpers": `
    checkpointFiles cloneTrainConfig display evaluateCheckpoint figureBundle PLOTLY_MIME
    randomHfCheckpoint runExperiment sampleText showFigure showTable smallBpeCheckpoint
    sourceConfig trainFurther verificationRow
  `,
};

/** The type-only exports of mod.ts, by section. */
const PUBLIC_TYPES: Record<string, string> = {
  "Backend, errors, host tensors": `
    BackendName DeviceInfo HostTensor TensorMap
  `,
  "Model": `
    Family Model ModelConfig ParamSpec SampleOptions
  `,
  "Checkpoints": `
    Checkpoint CheckpointTensorReader SafetensorsReader SaveOptions
  `,
  "Tokenizers": `
    BpeTrainOptions BpeTrainResult Tokenizer TokenizerFiles TokenizerInfo
  `,
  "Corpus and batches": `
    Batch Corpus Split
  `,
  "Training": `
    MetricsLine RunSummary TrainConfig TrainingCost TrainOptions
  `,
  "Evaluation": `
    BootstrapOptions Curve Direction EvalResult LogProbFn MultipleChoiceTask ScoreOptions
    SeedSummary SpeedupOptions SpeedupResult SuiteScore TaskResult TaskScore
  `,
  "Cloning": `
    CloneCheckpointOptions CloneOptions ClonePlan CloneRecord DepthLayer DepthMode
    DepthSymmetryEntry HeadMode NoisyVariant ResolvedCloneOptions SymmetryEntry SymmetryOptions
    TensorPlan TiedMode VariantName VerifyOptions VerifyReport
  `,
  "Experiments": `
    Axis CostAxis CostCurveOptions CostRecord DegenerateSource DeviceHoursKind Experiment
    GridFile LoadedRun ResolvedPreset ResultRow ResultsFile RunGridOptions RunGridReport Spec
  `,
  "Figures and plots": `
    CurvesOptions Figure MetricName Panel RenderOptions RenderResult Spectrum
  `,
  "Notebook display and helpers": `
    CheckpointEval MimeBundle RunExperimentOptions ShowFigureOptions TableOptions
  `,
};

const namesOf = (lists: Record<string, string>) =>
  Object.values(lists).flatMap((s) => s.split(/\s+/).filter(Boolean));
const sorted = (names: Iterable<string>) => [...names].sort();
const root = path.join(import.meta.dirname!, "..");

interface DocSymbol {
  name: string;
  declarations: { kind: string; jsDoc?: { doc?: string } }[];
}

/** `deno doc --json mod.ts`: the symbols mod.ts exports, with their declarations. */
async function docSymbols(): Promise<DocSymbol[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(r.code, 0, "deno doc --json mod.ts failed");
  const doc = JSON.parse(new TextDecoder().decode(r.stdout));
  const [mod] = Object.values(doc.nodes) as { symbols: DocSymbol[] }[];
  return mod.symbols;
}

Deno.test("mod.ts exports exactly the documented runtime names", async () => {
  const mod = await import("../mod.ts");
  assert.deepEqual(sorted(Object.keys(mod)), sorted(namesOf(PUBLIC_VALUES)));
});

Deno.test("mod.ts exports exactly the documented names and types, each with JSDoc", async () => {
  const symbols = await docSymbols();
  const expected = [...namesOf(PUBLIC_VALUES), ...namesOf(PUBLIC_TYPES)];
  assert.equal(new Set(expected).size, expected.length, "a name is listed twice");
  assert.deepEqual(sorted(symbols.map((s) => s.name)), sorted(expected));
  const undocumented = symbols
    .filter((s) => !s.declarations.some((d) => (d.jsDoc?.doc ?? "").trim() !== ""))
    .map((s) => s.name);
  assert.deepEqual(undocumented, []);
});

Deno.test("every name a notebook imports from mod.ts is exported", async () => {
  const exported = new Set([...namesOf(PUBLIC_VALUES), ...namesOf(PUBLIC_TYPES)]);
  const dir = path.join(root, "notebooks");
  let imports = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(path.join(dir, entry.name)));
    for (const cell of nb.cells as { source: string[] | string }[]) {
      const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\.\/mod\.ts"/g)) {
        for (const item of m[1].split(",")) {
          const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0];
          if (!name) continue;
          imports++;
          assert.ok(
            exported.has(name),
            `${entry.name} imports ${name}, which mod.ts does not export`,
          );
        }
      }
    }
  }
  assert.ok(imports > 0, "no notebook imports from mod.ts: the pattern above is stale");
});
