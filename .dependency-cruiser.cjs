// The layers of Vigil, checked by `npm run lint` (README "Code layout"). Dependencies point down:
//
//   adapters (api, cli, serve, shell; bench, testing, reliability, packaging)
//     → services (the rules every write follows; cluster: the nodes' bus, relay and links)
//       → stages (source, detect, align, embed, liveness, quality, track, decide, engine, zoo, notify, …)
//         → base (store, runtime, catalogue)
//           → leaves (contract, config, match, photo, util, and main/*.ts)
//
// and no two folders depend on each other, whatever the layer. Tests are left out: a test may
// reach across layers to set up what it checks. main/layers.test.ts plants violations in a
// scratch tree and expects every rule below to fire.

const ADAPTERS = 'api|cli|serve|shell|bench|testing|reliability|packaging';
const BASE = 'store|runtime|catalogue';
const LEAVES = 'contract|config|match|photo|util';
const SERVICES = 'services|cluster';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Two folders that import each other are one module in two places: cut the cycle.',
      scope: 'folder',
      from: { path: '^(main|renderer|preload)/' },
      to: { circular: true },
    },
    {
      name: 'root-modules-are-leaves',
      severity: 'error',
      comment: 'main/errors.ts, log.ts, paths.ts are imported by everything and import no folder.',
      from: { path: '^main/[^/]+\\.ts$' },
      to: { path: '^main/[^/]+/' },
    },
    {
      name: 'leaves-import-leaves',
      severity: 'error',
      comment: `The contract, configuration schema, vector maths, photo decoding and utilities (${LEAVES}) import no other layer.`,
      from: { path: `^main/(${LEAVES})/` },
      to: { path: `^main/(?!(?:${LEAVES})/)[^/]+/` },
    },
    {
      name: 'base-below-stages',
      severity: 'error',
      comment: `The store, the onnx runtime and the model catalogue (${BASE}) know no stage, service or adapter.`,
      from: { path: `^main/(${BASE})/` },
      to: { path: `^main/(?!(?:${BASE}|${LEAVES})/)[^/]+/` },
    },
    {
      name: 'stages-below-services',
      severity: 'error',
      comment: 'A stage (or anything below) never calls up into a service or an adapter.',
      from: { path: '^main/', pathNot: `^main/(${SERVICES}|${ADAPTERS})/` },
      to: { path: `^main/(${SERVICES}|${ADAPTERS})/` },
    },
    {
      name: 'services-below-adapters',
      severity: 'error',
      comment:
        'Services (and the cluster) are called by the console API, the CLI, the server and the shell, never the reverse.',
      from: { path: `^main/(${SERVICES})/` },
      to: { path: `^main/(${ADAPTERS})/` },
    },
    {
      name: 'engine-knows-no-console',
      severity: 'error',
      comment: 'The engine does not import the renderer or the preload.',
      from: { path: '^main/' },
      to: { path: '^(renderer|preload)/' },
    },
    {
      name: 'console-reaches-only-the-contract',
      severity: 'error',
      comment: 'The renderer and the preload reach the engine only through main/contract.',
      from: { path: '^(renderer|preload)/' },
      to: { path: '^main/(?!contract/)' },
    },
    {
      name: 'console-takes-types-and-wire-constants',
      severity: 'error',
      comment:
        'From the contract the renderer and the preload take types, and values only from its zod-free wire constants and role table: no engine code (nor zod) in the page.',
      from: { path: '^(renderer|preload)/' },
      to: {
        path: '^main/contract/',
        pathNot: '^main/contract/(wire|roles)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'electron-only-in-shell',
      severity: 'error',
      comment: 'The engine is plain Node; only main/shell and the preload import electron.',
      from: { pathNot: '^(main/shell|preload)/' },
      to: { path: '(^|/)node_modules/electron/' },
    },
    {
      name: 'sqlite-only-in-store',
      severity: 'error',
      comment: 'The store owns the database: nothing outside main/store imports better-sqlite3.',
      from: { pathNot: '^main/store/' },
      to: { path: '(^|/)node_modules/(@types/)?better-sqlite3[^/]*/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.tsx?$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
  },
};
