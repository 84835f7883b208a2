#!/usr/bin/env node
// Reference runner: executes an ONNX model with onnxruntime-node (CPU, FP32)
// on .npy inputs and writes .npy outputs, or times it.
//
//   node ort-run.js model.onnx --input name=file.npy ... [--output-dir DIR]
//        [--benchmark N] [--warmup N] [--threads T] [--graph-opt all|basic|disabled]
//        [--fast-int8]
//   node ort-run.js --baseline     # loads onnxruntime only; prints its peak memory
//
// Integer kernels: on x86-64 CPUs without VNNI (AVX2, AVX-512 without VNNI),
// onnxruntime's default u8 x s8 products go through vpmaddubsw, which
// saturates a pair of products at 16 bits: its INT8 outputs are then not the
// exact ones ONNX defines (PP-OCR and other real models lose whole channels).
// As a reference this runner asks for onnxruntime's exact path
// (`session.x64quantprecision` = 1, u8 x u8 products; no effect on VNNI CPUs
// or on float models). --fast-int8 keeps onnxruntime's default, for timing
// what its users get.
// Finds onnxruntime-node through NODE_PATH or third_party/npm/node_modules.
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const candidates = [
    'onnxruntime-node',
    path.join(__dirname, '..', '..', 'third_party', 'npm', 'node_modules', 'onnxruntime-node'),
  ];
  for (const c of candidates) {
    try { return require(c); } catch (e) { /* next */ }
  }
  throw new Error('onnxruntime-node not found (run scripts/setup.sh)');
}

const NPY = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '|i1': ['int8', Int8Array], '<i2': ['int16', Int16Array], '<i4': ['int32', Int32Array],
  '<i8': ['int64', BigInt64Array], '|u1': ['uint8', Uint8Array], '<u2': ['uint16', Uint16Array],
  '<u4': ['uint32', Uint32Array], '<u8': ['uint64', BigUint64Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not .npy`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const entry = NPY[descr];
  if (!entry) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [type, Arr] = entry;
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const bytes = buf.subarray(off, off + n * Arr.BYTES_PER_ELEMENT);
  const data = new Arr(n);
  new Uint8Array(data.buffer).set(bytes);
  return { type: type === 'bool' ? 'bool' : type, data: type === 'bool' ? Uint8Array.from(data) : data, shape };
}

function writeNpy(file, tensor) {
  const map = { float32: '<f4', float64: '<f8', int8: '|i1', int16: '<i2', int32: '<i4',
    int64: '<i8', uint8: '|u1', uint16: '<u2', uint32: '<u4', uint64: '<u8', bool: '|b1' };
  const descr = map[tensor.type];
  if (!descr) throw new Error(`cannot write ${tensor.type}`);
  const dims = tensor.dims;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  let data = tensor.data;
  if (tensor.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

// This process's peak resident memory in MB: Linux's VmHWM (its own address
// space; ru_maxrss keeps the parent's resident size at fork), else maxRSS.
function peakRssMB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch (e) { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

async function main() {
  const args = process.argv.slice(2);
  let model = null, outDir = null, bench = 0, warmup = 2, threads = 0, graphOpt = 'all';
  let baseline = false, fastInt8 = false;
  const inputs = [];
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    if (a === '--input') inputs.push(args[++i]);
    else if (a === '--output-dir') outDir = args[++i];
    else if (a === '--benchmark') bench = Number(args[++i]);
    else if (a === '--warmup') warmup = Number(args[++i]);
    else if (a === '--threads') threads = Number(args[++i]);
    else if (a === '--graph-opt') graphOpt = args[++i];
    else if (a === '--baseline') baseline = true;
    else if (a === '--fast-int8') fastInt8 = true;
    else if (!model) model = a;
    else inputs.push(a);
  }
  const ort = loadOrt();
  if (baseline) {
    console.log(`peak memory: ${peakRssMB().toFixed(1)} MB (process max RSS)`);
    return;
  }
  const opts = { executionProviders: ['cpu'], graphOptimizationLevel: graphOpt };
  if (!fastInt8) opts.extra = { session: { x64quantprecision: '1' } };
  if (threads > 0) { opts.intraOpNumThreads = threads; opts.interOpNumThreads = 1; }
  const session = await ort.InferenceSession.create(model, opts);
  const feeds = {};
  inputs.forEach((spec, idx) => {
    let name = session.inputNames[idx], file = spec;
    const eq = spec.indexOf('=');
    if (eq > 0 && session.inputNames.includes(spec.slice(0, eq))) {
      name = spec.slice(0, eq); file = spec.slice(eq + 1);
    }
    const t = readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.shape);
  });
  let results = await session.run(feeds);
  if (bench > 0) {
    for (let i = 0; i < warmup; ++i) results = await session.run(feeds);
    const ms = [];
    for (let i = 0; i < bench; ++i) {
      const t0 = process.hrtime.bigint();
      results = await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const median = ms.length % 2 ? ms[(ms.length - 1) / 2] : 0.5 * (ms[ms.length / 2 - 1] + ms[ms.length / 2]);
    console.log(`benchmark: ${bench} runs (after ${warmup} warm-up): min ${ms[0].toFixed(3)} ms  median ${median.toFixed(3)} ms  max ${ms[ms.length - 1].toFixed(3)} ms`);
    console.log(`peak memory: ${peakRssMB().toFixed(1)} MB (process max RSS)`);
  }
  if (outDir) {
    fs.mkdirSync(outDir, { recursive: true });
    for (const name of session.outputNames) {
      writeNpy(path.join(outDir, name.replace(/[\/\\:]/g, '_') + '.npy'), results[name]);
    }
  }
}

main().catch((e) => { console.error(`ort-run: ${e.message}`); process.exit(1); });
