// Jest runs in CommonJS mode: Nest 12 ships ES modules only, so @swc/jest also transforms
// @nestjs (and other ESM-only) packages, and relative imports lose their `.js` extension.
const swcOptions = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
  // .swcrc is the build's (ES modules, specs excluded); tests use only these options.
  swcrc: false,
};

const shared = {
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swcOptions] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@apidevtools|@langchain/langgraph-sdk|jose|p-queue|p-timeout|eventemitter3|file-type|load-esm|uid|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/)'],
  moduleNameMapper: {
    '^@riser/(run-core|auth|persistence|testing|bus)$': '<rootDir>/libs/$1/src/index.ts',
    '^@riser/auth/dev$': '<rootDir>/libs/auth/src/dev.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testEnvironment: 'node',
};

module.exports = {
  // e2e suites start apps and stream real runs; unit suites finish far below this.
  testTimeout: 30_000,
  slowTestThreshold: 30,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{src,libs,bench,test}/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
