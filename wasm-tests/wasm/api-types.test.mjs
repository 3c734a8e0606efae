// The module's declared API (web/src/engine/qplay-module.ts) against the binding
// (src/bindings/embind.cpp) and against what the built module returns: every function and
// method registered is declared and every declared one registered, and each result has
// exactly the keys and value types its declaration gives (optional keys may be absent).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

const declarationFile = path.join(repoRoot, 'web/src/engine/qplay-module.ts');
const bindingFile = path.join(repoRoot, 'src/bindings/embind.cpp');
const classInterfaces = { Model: 'WasmModel', QatSession: 'WasmQatSession' };
const embindBuiltins = new Set(['delete']);  // every embind class has it
const builtinClasses = new Set(['Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'ArrayBuffer']);

function loadDeclarations() {
  const program = ts.createProgram([declarationFile], {
    strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const checker = program.getTypeChecker();
  const interfaces = {};
  ts.forEachChild(program.getSourceFile(declarationFile), (node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces[node.name.text] = checker.getTypeAtLocation(node.name);
  });
  return { checker, interfaces, diagnostics };
}

// The names the binding registers: free functions, and each class's methods.
function registeredNames() {
  const source = fs.readFileSync(bindingFile, 'utf8');
  const functions = [...new Set([...source.matchAll(/emscripten::function\("(\w+)"/g)].map((m) => m[1]))];
  const classes = {};
  for (const m of source.matchAll(/emscripten::class_<\w+>\("(\w+)"\)([^;]*);/g))
    classes[m[1]] = [...new Set([...m[2].matchAll(/\.function\("(\w+)"/g)].map((f) => f[1]))];  // overloads by arity share a name
  return { functions, classes };
}

const { checker, interfaces, diagnostics } = loadDeclarations();
const memberNames = (name) => checker.getPropertiesOfType(interfaces[name]).map((p) => p.name).sort();

function returnType(interfaceName, method) {
  const symbol = interfaces[interfaceName].getProperty(method);
  return checker.getTypeOfSymbol(symbol).getCallSignatures()[0].getReturnType();
}

const show = (value) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? `a ${value.constructor?.name}` : JSON.stringify(value));

// Where `value` departs from `type`, one line per departure.
function departures(value, type, where, out = [], depth = 0) {
  if (out.length > 20 || depth > 16) return out;
  const f = type.flags;
  const fail = (what) => out.push(`${where}: ${show(value)} ${what} (declared ${checker.typeToString(type)})`);
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return out;
  if (type.isUnion()) {
    if (!type.types.some((member) => departures(value, member, where, [], depth + 1).length === 0)) fail('fits no member');
    return out;
  }
  if (f & ts.TypeFlags.Null) return value === null ? out : (fail('is not null'), out);
  if (f & ts.TypeFlags.Undefined) return value === undefined ? out : (fail('is not undefined'), out);
  if (f & ts.TypeFlags.StringLiteral) return value === type.value ? out : (fail('is not that string'), out);
  if (f & ts.TypeFlags.NumberLiteral) return value === type.value ? out : (fail('is not that number'), out);
  if (f & ts.TypeFlags.BooleanLiteral) return value === (checker.typeToString(type) === 'true') ? out : (fail('is not that boolean'), out);
  if (f & ts.TypeFlags.NumberLike) return typeof value === 'number' ? out : (fail('is not a number'), out);
  if (f & ts.TypeFlags.StringLike) return typeof value === 'string' ? out : (fail('is not a string'), out);
  if (f & ts.TypeFlags.BooleanLike) return typeof value === 'boolean' ? out : (fail('is not a boolean'), out);
  if (type.getCallSignatures().length) return typeof value === 'function' ? out : (fail('is not a function'), out);
  const name = type.getSymbol()?.getName();
  if (builtinClasses.has(name)) return value?.constructor?.name === name ? out : (fail(`is not a ${name}`), out);
  if (checker.isTupleType(type) || checker.isArrayType(type)) {
    if (!Array.isArray(value)) return fail('is not an array'), out;
    const elements = checker.getTypeArguments(type);
    value.slice(0, 8).forEach((v, i) => departures(v, checker.isTupleType(type) ? elements[i] : elements[0], `${where}[${i}]`, out, depth + 1));
    return out;
  }
  if (typeof value !== 'object' || value === null) return fail('is not an object'), out;
  const declared = new Set();
  for (const property of checker.getPropertiesOfType(type)) {
    declared.add(property.name);
    const v = value[property.name];
    if (v === undefined) {
      if (!(property.flags & ts.SymbolFlags.Optional)) out.push(`${where}.${property.name} is missing`);
      continue;
    }
    // An optional property's type includes undefined; null must be declared.
    const propertyType = checker.getTypeOfSymbol(property);
    departures(v, v === null ? propertyType : checker.getNonNullableType(propertyType), `${where}.${property.name}`, out, depth + 1);
  }
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  for (const key of Object.keys(value)) {
    if (declared.has(key)) continue;
    if (index) departures(value[key], index.type, `${where}.${key}`, out, depth + 1);
    else out.push(`${where}.${key} is not declared`);
  }
  return out;
}

test('the declarations compile', () => {
  expect(diagnostics).toEqual([]);
});

describe('every registered function and method is declared, and every declared one registered', () => {
  const { functions, classes } = registeredNames();
  test('module functions', () => {
    expect(functions.sort()).toEqual(memberNames('QplayModule'));
  });
  test.each(Object.entries(classInterfaces))('class %s as %s', (cls, iface) => {
    expect(classes[cls].sort()).toEqual(memberNames(iface).filter((m) => !embindBuiltins.has(m)));
  });
});

describe('results have the declared shapes', () => {
  let qp, model, quantized, calibration, evaluation, labels;
  const check = (iface, method, value) => expect(departures(value, returnType(iface, method), `${method}()`)).toEqual([]);
  const npy = (name) => qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data', name)));
  const first = (t, n) => ({ data: t.data.slice(0, n * (t.data.length / t.dims[0])), dims: [n, ...t.dims.slice(1)], type: t.type });

  beforeAll(async () => {
    qp = await loadQplay();
    model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
    calibration = first(npy('calibration_images.npy'), 20);
    evaluation = first(npy('evaluation_images.npy'), 20);
    labels = first(npy('evaluation_labels.npy'), 20);
    quantized = model.quantize({ calibration_limit: 20 }, { input: calibration }, null);
  });

  test('module functions', () => {
    check('QplayModule', 'loadModel', model);
    check('QplayModule', 'parseNpy', calibration);
    for (const name of ['savez.npz', 'savez_compressed.npz'])
      check('QplayModule', 'parseSampleFile', qp.parseSampleFile(name, fs.readFileSync(path.join(repoRoot, 'tests/data', name))));
    check('QplayModule', 'supportedOpsTable', qp.supportedOpsTable());
    check('QplayModule', 'parseSampleFile', qp.parseSampleFile('rows.csv', new TextEncoder().encode('1,2\n3,4\n')));
    for (const name of ['savez.npz', 'rows.csv']) {
      const bytes = name.endsWith('.csv') ? new TextEncoder().encode('1,2\n3,4\n') : fs.readFileSync(path.join(repoRoot, 'tests/data', name));
      check('QplayModule', 'inspectSampleFile', qp.inspectSampleFile({ name, size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) }));
    }
    check('QplayModule', 'parseTensorProto', qp.parseTensorProto(fs.readFileSync(
      '/usr/share/libonnx-testdata/data/node/test_relu/test_data_set_0/input_0.pb')));
    check('QplayModule', 'measureInt8Gemm', qp.measureInt8Gemm(8, 8, 16));
    check('QplayModule', 'backends', qp.backends());
    check('QplayModule', 'quantParams', qp.quantParams(-1, 3, { type: 'uint8' }));
    check('QplayModule', 'quantizeTensor', qp.quantizeTensor({ data: Float32Array.of(-1, 0.5, 2, 3), dims: [2, 2] },
      { type: 'int8', symmetric: true, axis: 0, errorAxis: 0 }));
  });

  test('model methods', () => {
    check('WasmModel', 'info', model.info());
    check('WasmModel', 'run', model.run({ input: first(evaluation, 1) }));
    check('WasmModel', 'save', model.save());
    check('WasmModel', 'layers', model.layers({}));
    check('WasmModel', 'quantize', quantized);
    check('WasmModel', 'evaluate', model.evaluate(evaluation, labels, quantized, null));
    check('WasmModel', 'analyze', model.analyze(evaluation, quantized, null));
    check('WasmModel', 'profile', model.profile(first(evaluation, 2)));
    check('WasmModel', 'report', model.report(quantized, evaluation, labels, null));
    check('WasmModel', 'sensitivity', model.sensitivity({ calibration_limit: 20 }, { input: calibration }, evaluation, labels,
      { maxAccuracyDrop: 5, keepAs: 'float' }, null));
    const [activation] = model.nodes().filter((n) => n.op_type === 'Relu').map((n) => n.outputs[0]);
    check('WasmModel', 'rangeChoices', model.rangeChoices([activation], { input: calibration }, {}));
    const initializers = model.initializers();
    check('WasmModel', 'initializers', initializers);
    check('WasmModel', 'initializer', model.initializer(initializers[0].name));
    check('WasmModel', 'nodes', model.nodes());
    const prepared = model.prepared({}, null);
    check('WasmModel', 'prepared', prepared);
    prepared.delete();
  });

  test('QAT session methods', () => {
    const trainLabels = first(npy('calibration_labels.npy'), 20);
    const session = model.qat({ calibration_limit: 20 }, calibration, trainLabels, evaluation, labels, { epochs: 1, batchSize: 10 });
    check('WasmModel', 'qat', session);
    check('WasmQatSession', 'epoch', session.epoch());
    check('WasmQatSession', 'best', session.best());
    const trained = session.finish();
    check('WasmQatSession', 'finish', trained);
    trained.delete();
    session.delete();
  });
});
