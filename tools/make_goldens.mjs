// make_goldens.mjs: float ground truth from ONNX Runtime, written as .npy files under tests/data/golden/.
//
// Usage (from the repository root; needs node >= 18 and network-free npm):
//   cd tools && ONNXRUNTIME_NODE_INSTALL=skip npm install   # onnxruntime-node, version pinned in package.json
//   node tools/make_goldens.mjs            # (re)write tests/data/golden/**
//   node tools/make_goldens.mjs --check    # recompute everything in memory, compare with the committed files
//                                          # byte for byte, exit 1 on any difference (nothing is written)
//
// For every model it writes tests/data/golden/<model>/:
//   input.npy              float32, the N samples concatenated along the model's batch axis
//                          (model input [1,C,H,W] -> [N,C,H,W]; [1,C,W] -> [N,C,W])
//   output.npy             float32, ONNX Runtime's output for each sample, concatenated the same way
//                          (a model with several outputs gets one output_<name>.npy per output instead)
//   meta.json              model file, input/output names and shapes, how the samples were made, ORT version
// and for the four bench models also:
//   eval1000_logits.npy    float32 [1000,10], logits of all images of tests/data/bench/fashionS/eval1000.npy
//   top1.json              float top-1 accuracy over those 1000 images against eval1000_labels.npy
// tests/data/golden/README.md documents the layout for the C++ tests, which read these files without ORT.
//
// ORT runs single-threaded with graph optimizations disabled, so each node is evaluated on its own as the ONNX
// semantics define it (no Conv+BN/activation fusion, no NCHWc layout rewrite) and reruns are bit-identical.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(repoRoot, 'tests/data/bench');
const goldenDir = path.join(repoRoot, 'tests/data/golden');
const ortVersion = createRequire(import.meta.url)('onnxruntime-node/package.json').version;

const IMAGE_SAMPLES = 16;       // first images of eval1000.npy per bench model
const BENCH_NORMAL_SAMPLES = 2; // random-normal samples appended after the images (negative inputs)
const TCN_NORMAL_SAMPLES = 8;
const SEED = 20240601;          // mulberry32 seed; each model gets its own stream (SEED + model index)

const BENCH_MODELS = [
  { name: 'fmnist_cnn', size: 28 },
  { name: 'gesture_mbv2', size: 96 },
  { name: 'fmnist_mbv3', size: 64 },
  { name: 'fmnist_mbv3_bn', size: 64 },
];
const TCN_SOURCE = '/work/shared/oracle/esp32s3/streaming_tcn.onnx';
// Real models (tests/data/real/README.md): their inputs are images preprocessed by espq itself
// (tools/stack_samples.cpp), committed as tests/data/golden/real_<name>/input.npy; only the outputs are made here.
const REAL_MODELS = [
  { name: 'fastestdet', model: 'tests/data/real/fastestdet/FastestDet.onnx', shape: [1, 3, 352, 352] },
  { name: 'ppocrv4_det', model: 'tests/data/real/ppocrv4_det/ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 320, 320] },
  { name: 'ppocrv4_rec', model: 'tests/data/real/ppocrv4_rec/ch_PP-OCRv4_rec_infer.onnx', shape: [1, 3, 48, 320] },
];

// ---------------------------------------------------------------------------------------------- .npy I/O

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const DTYPES = {
  '<f4': { array: Float32Array, bytes: 4 },
  '<i8': { array: BigInt64Array, bytes: 8 },
  '|u1': { array: Uint8Array, bytes: 1 },
};

function descrOf(data) {
  for (const [descr, d] of Object.entries(DTYPES)) if (data instanceof d.array) return descr;
  throw new Error(`npy: unsupported typed array ${data.constructor.name}`);
}

// Version 1.0 file laid out exactly as numpy writes it: the header dict is space-padded and ends in '\n' so the
// data starts at a multiple of 64 bytes.
function encodeNpy(data, shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = NPY_MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(NPY_MAGIC.length + 4);
  NPY_MAGIC.copy(prefix, 0);
  prefix[6] = 1; // major version
  prefix[7] = 0; // minor version
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength); // x86/ARM hosts are little-endian
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (!bytes.subarray(0, 6).equals(NPY_MAGIC)) throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!DTYPES[descr] || fortran !== 'False' || shapeText === undefined)
    throw new Error(`${file}: unsupported .npy header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const { array, bytes: width } = DTYPES[descr];
  const offset = headerStart + headerLen;
  if (bytes.length !== offset + count * width) throw new Error(`${file}: data size does not match shape [${shape}]`);
  // Copy so the typed array is aligned regardless of where the Buffer's storage starts.
  const data = new array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * width));
  return { data, shape };
}

// ---------------------------------------------------------------------------------------------- samples

// mulberry32: a tiny 32-bit PRNG, good enough for test inputs and trivial to reproduce in any language.
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Standard normal values by Box-Muller (both values of each pair used).
function normalSamples(count, seed) {
  const uniform = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform(); // in (0, 1]: log() stays finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

// Image i of a uint8 [N,S,S] array as float32 image/255 (the bench models' input convention).
function imageAsInput(images, index) {
  const pixels = images.shape[1] * images.shape[2];
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; ++p) out[p] = images.data[index * pixels + p] / 255;
  return out;
}

// ---------------------------------------------------------------------------------------------- ORT

async function openSession(modelPath) {
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  if (session.inputNames.length !== 1) throw new Error(`${modelPath}: expected one input, got ${session.inputNames}`);
  const input = session.inputMetadata.find((m) => m.name === session.inputNames[0]) ?? session.inputMetadata[0];
  const outputs = session.outputNames.map((n) => session.outputMetadata.find((m) => m.name === n));
  for (const m of [input, ...outputs]) {
    if (!m.isTensor || m.type !== 'float32') throw new Error(`${modelPath}: ${m.name} is not a float32 tensor`);
    if (!m.shape.every((d) => Number.isInteger(d) && d > 0) || m.shape[0] !== 1)
      throw new Error(`${modelPath}: ${m.name} shape [${m.shape}] is not static with batch 1`);
  }
  console.log(`  ${path.relative(repoRoot, modelPath)}`);
  console.log(`    input  ${input.name} [${input.shape}] ${input.type}`);
  for (const m of outputs) console.log(`    output ${m.name} [${m.shape}] ${m.type}`);
  return { session, input, outputs };
}

// Runs each sample (one batch-1 tensor each) and returns, per output, the results concatenated along axis 0.
async function runAll({ session, input, outputs }, samples) {
  const stacked = outputs.map((m) => new Float32Array(samples.length * m.shape.reduce((a, b) => a * b, 1)));
  for (let s = 0; s < samples.length; ++s) {
    const result = await session.run({ [input.name]: new ort.Tensor('float32', samples[s], input.shape) });
    outputs.forEach((m, o) => {
      const t = result[m.name];
      if (t.dims.join() !== m.shape.join()) throw new Error(`${m.name}: ORT returned [${t.dims}], expected [${m.shape}]`);
      stacked[o].set(t.data, s * t.data.length);
    });
  }
  return stacked;
}

function batchShape(shape, n) {
  return [n, ...shape.slice(1)];
}

function concat(arrays) {
  const out = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of arrays) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

function argmax(values, begin, end) {
  let best = begin;
  for (let i = begin + 1; i < end; ++i) if (values[i] > values[best]) best = i; // first maximum wins
  return best - begin;
}

// ---------------------------------------------------------------------------------------------- output

const checkMode = process.argv.includes('--check');
const mismatches = [];
const written = [];

function emit(file, bytes) {
  const rel = path.relative(repoRoot, file);
  if (checkMode) {
    if (!fs.existsSync(file) || !fs.readFileSync(file).equals(bytes)) mismatches.push(rel);
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }
  written.push({ rel, size: bytes.length });
}

const emitNpy = (file, data, shape) => emit(file, encodeNpy(data, shape));
const emitJson = (file, value) => emit(file, Buffer.from(JSON.stringify(value, null, 2) + '\n'));

function outputFileName(outputs, index) {
  if (outputs.length === 1) return 'output.npy';
  return `output_${outputs[index].name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`;
}

async function writeGolden(name, modelRelPath, model, samples, sampleDescription) {
  const dir = path.join(goldenDir, name);
  const results = await runAll(model, samples);
  emitNpy(path.join(dir, 'input.npy'), concat(samples), batchShape(model.input.shape, samples.length));
  const outputFiles = model.outputs.map((m, o) => {
    const file = outputFileName(model.outputs, o);
    emitNpy(path.join(dir, file), results[o], batchShape(m.shape, samples.length));
    return file;
  });
  emitJson(path.join(dir, 'meta.json'), {
    model: modelRelPath,
    input: { name: model.input.name, shape: model.input.shape, file: 'input.npy' },
    outputs: model.outputs.map((m, o) => ({ name: m.name, shape: m.shape, file: outputFiles[o] })),
    samples: samples.length,
    sample_description: sampleDescription,
    generator: 'tools/make_goldens.mjs',
    onnxruntime_node: ortVersion,
    session_options: 'graphOptimizationLevel=disabled, 1 thread, CPU',
  });
}

// ---------------------------------------------------------------------------------------------- main

console.log(`onnxruntime-node ${ortVersion}${checkMode ? ' (check mode: nothing is written)' : ''}`);
const top1Summary = [];

for (const [index, { name, size }] of BENCH_MODELS.entries()) {
  const modelRelPath = `tests/data/bench/${name}.onnx`;
  const model = await openSession(path.join(repoRoot, modelRelPath));
  if (model.input.shape.join() !== [1, 1, size, size].join())
    throw new Error(`${name}: input [${model.input.shape}] is not [1,1,${size},${size}]`);
  const images = readNpy(path.join(benchDir, `fashion${size}/eval1000.npy`));
  const labels = readNpy(path.join(benchDir, `fashion${size}/eval1000_labels.npy`));
  if (images.shape.join() !== [1000, size, size].join() || labels.shape.join() !== '1000')
    throw new Error(`fashion${size}: unexpected eval1000 shapes [${images.shape}] / [${labels.shape}]`);

  const samples = [];
  for (let i = 0; i < IMAGE_SAMPLES; ++i) samples.push(imageAsInput(images, i));
  const normal = normalSamples(BENCH_NORMAL_SAMPLES * size * size, SEED + index);
  for (let i = 0; i < BENCH_NORMAL_SAMPLES; ++i) samples.push(normal.slice(i * size * size, (i + 1) * size * size));
  await writeGolden(name, modelRelPath, model, samples,
    `samples 0..${IMAGE_SAMPLES - 1}: eval1000.npy images 0..${IMAGE_SAMPLES - 1} (fashion${size}) / 255; ` +
    `samples ${IMAGE_SAMPLES}..${samples.length - 1}: standard normal, mulberry32(${SEED + index}) + Box-Muller`);

  const allImages = Array.from({ length: 1000 }, (_, i) => imageAsInput(images, i));
  const [logits] = await runAll(model, allImages);
  const classes = model.outputs[0].shape[1];
  let correct = 0;
  for (let i = 0; i < 1000; ++i) if (BigInt(argmax(logits, i * classes, (i + 1) * classes)) === labels.data[i]) ++correct;
  const dir = path.join(goldenDir, name);
  emitNpy(path.join(dir, 'eval1000_logits.npy'), logits, [1000, classes]);
  const top1 = { model: modelRelPath, images: `tests/data/bench/fashion${size}/eval1000.npy`, count: 1000, correct,
    top1_percent: Number((100 * correct / 1000).toFixed(1)), onnxruntime_node: ortVersion };
  emitJson(path.join(dir, 'top1.json'), top1);
  top1Summary.push(`${name}: float top-1 ${top1.top1_percent} % (${correct}/1000)`);
}

{
  const dir = path.join(goldenDir, 'streaming_tcn');
  // Without the shared oracle folder (another machine), fall back to the committed copy.
  const source = fs.existsSync(TCN_SOURCE) ? TCN_SOURCE : path.join(dir, 'model.onnx');
  emit(path.join(dir, 'model.onnx'), fs.readFileSync(source));
  const modelPath = checkMode ? source : path.join(dir, 'model.onnx');
  const model = await openSession(modelPath);
  const perSample = model.input.shape.reduce((a, b) => a * b, 1);
  const normal = normalSamples(TCN_NORMAL_SAMPLES * perSample, SEED + BENCH_MODELS.length);
  const samples = Array.from({ length: TCN_NORMAL_SAMPLES }, (_, i) => normal.slice(i * perSample, (i + 1) * perSample));
  await writeGolden('streaming_tcn', 'tests/data/golden/streaming_tcn/model.onnx', model, samples,
    `samples 0..${TCN_NORMAL_SAMPLES - 1}: standard normal, mulberry32(${SEED + BENCH_MODELS.length}) + Box-Muller; ` +
    `model.onnx is a copy of the oracle's esp32s3/streaming_tcn.onnx`);
}

for (const { name, model: modelRelPath, shape } of REAL_MODELS) {
  const dir = path.join(goldenDir, `real_${name}`);
  const session = await ort.InferenceSession.create(path.join(repoRoot, modelRelPath), {
    graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const inputs = readNpy(path.join(dir, 'input.npy'));
  const perSample = shape.reduce((a, b) => a * b, 1);
  const count = inputs.shape[0];
  if (inputs.shape.slice(1).join() !== shape.slice(1).join()) throw new Error(`${name}: input.npy is [${inputs.shape}]`);
  const outputs = session.outputNames.map((n) => ({ name: n, shape: null, data: [] }));
  for (let i = 0; i < count; ++i) {
    const x = new ort.Tensor('float32', inputs.data.slice(i * perSample, (i + 1) * perSample), shape);
    const result = await session.run({ [session.inputNames[0]]: x });
    for (const o of outputs) {
      o.shape = result[o.name].dims;
      o.data.push(result[o.name].data);
    }
  }
  console.log(`  ${modelRelPath}: ${count} samples, outputs ${outputs.map((o) => `${o.name} [${o.shape}]`).join(', ')}`);
  const outputFiles = outputs.map((o, k) => {
    const file = outputFileName(outputs, k);
    emitNpy(path.join(dir, file), concat(o.data), batchShape(o.shape, count));
    return file;
  });
  emitJson(path.join(dir, 'meta.json'), {
    model: modelRelPath,
    input: { name: session.inputNames[0], shape, file: 'input.npy' },
    outputs: outputs.map((o, k) => ({ name: o.name, shape: o.shape, file: outputFiles[k] })),
    samples: count,
    sample_description: 'real images preprocessed by tools/stack_samples.cpp (see tests/data/real/README.md)',
    generator: 'tools/make_goldens.mjs',
    onnxruntime_node: ortVersion,
    session_options: 'graphOptimizationLevel=disabled, 1 thread, CPU',
  });
}

console.log(top1Summary.join('\n'));
const total = written.reduce((a, w) => a + w.size, 0);
console.log(`${written.length} files, ${(total / 1e6).toFixed(2)} MB`);
if (checkMode) {
  if (mismatches.length) {
    console.error(`differs from the committed goldens:\n  ${mismatches.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check: all files identical');
}
