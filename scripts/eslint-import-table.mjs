// The lint rule behind docs/architecture.md's "Who may import whom": every import (static, dynamic
// with a literal, `export … from`) is resolved to a path, the path to a part of the project, and the
// pair is looked up in the table eslint.config.js passes in. Paths are resolved, not pattern-matched
// on the import string, so `../app/x.js` and `../../main/app/x.js` are judged alike.
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

const builtins = new Set(builtinModules);

/** The part of the project a repository-relative path belongs to: the longest matching prefix wins. */
function partOf(path, parts) {
  let best = null;
  let bestLength = -1;
  for (const [name, prefixes] of Object.entries(parts)) {
    for (const prefix of prefixes) {
      const matches = prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || path.startsWith(prefix.replace(/\.ts$/, '.'));
      if (matches && prefix.length > bestLength) {
        best = name;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/** What a module specifier names: a part of the project, `electron`, `node` (a built-in) or a package. */
function targetOf(specifier, fromFile, root, parts) {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    const path = relative(root, resolve(dirname(fromFile), specifier)).split(sep).join('/');
    return path.startsWith('..') ? null : (partOf(path, parts) ?? 'elsewhere');
  }
  if (specifier === 'electron' || specifier.startsWith('electron/')) return 'electron';
  if (specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(specifier.split('/')[0])) return 'node';
  return null; // an npm package: not the table's business
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: "Enforces docs/architecture.md's table of who may import whom." },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          parts: { type: 'object' },
          may: { type: 'object' },
          typesOnly: { type: 'object' },
        },
        required: ['root', 'parts', 'may'],
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: '{{from}} may not import {{to}} (docs/architecture.md, "Who may import whom").',
      typesOnly: '{{from}} may import only types from {{to}} (docs/architecture.md, "Who may import whom").',
    },
  },
  create(context) {
    const { root, parts, may, typesOnly = {} } = context.options[0];
    const file = relative(root, context.filename).split(sep).join('/');
    const from = partOf(file, parts);
    if (from === null || !(from in may)) return {};
    const allowed = new Set([from, ...may[from]]);
    const allowedTypes = new Set(typesOnly[from] ?? []);

    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const to = targetOf(source.value, context.filename, root, parts);
      if (to === null || allowed.has(to)) return;
      if (allowedTypes.has(to)) {
        if (!isTypeOnly(node)) context.report({ node: source, messageId: 'typesOnly', data: { from, to } });
        return;
      }
      context.report({ node: source, messageId: 'forbidden', data: { from, to } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null),
      TSImportType: (node) => check({ importKind: 'type' }, node.argument?.literal ?? node.argument),
    };
  },
};

export default { rules: { 'import-table': rule } };
