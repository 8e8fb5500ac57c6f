// typescript-eslint's recommended rules over the TypeScript sources and tests (`npm run lint`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "assets/", "coverage/", "**/*.cjs", "sources/**/demo/", "test/fixtures/", "bench/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // A @ts-ignore must say why (the one there is on an untyped .mjs fixture generator).
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-ignore": "allow-with-description" }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Off in tests: they read GraphQL JSON responses whose shape each assertion checks (156 findings, all `body.data`).
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
