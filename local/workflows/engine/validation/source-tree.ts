import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ValidationIssue } from './validation-error';

/** Where a node is in the source: 0-based offset and length, 1-based line and column. */
interface SourceSpan {
  offset: number;
  length: number;
  line: number;
  column: number;
}

type ScalarValue = null | boolean | bigint | number | string;

interface SourceScalar {
  kind: 'scalar';
  value: ScalarValue;
  span: SourceSpan;
}

interface SourceList {
  kind: 'list';
  items: SourceNode[];
  span: SourceSpan;
}

interface SourceEntry {
  key: string;
  keySpan: SourceSpan;
  value: SourceNode;
}

interface SourceMap {
  kind: 'map';
  entries: SourceEntry[];
  span: SourceSpan;
}

/**
 * A YAML (or JSON) document as plain data that remembers where every node came from, so that
 * validation and runtime errors can name a line. YAML ints are bigints (Workflows ints), floats
 * numbers (doubles); map keys are strings (a YAML `1:` key is the string "1", as in Workflows).
 */
type SourceNode = SourceScalar | SourceList | SourceMap;

/** A loaded source: its tree (absent when the YAML is broken or empty) and the issues found. */
interface LoadedSource {
  root: SourceNode | undefined;
  issues: ValidationIssue[];
  lineCounter: LineCounter;
}

/** The text a scalar map key stands for: Workflows keys are strings. */
const keyText = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return String(value);
};

/** The first line of a YAML error message, without the position suffix the library adds. */
const yamlReason = (message: string): string => {
  const firstLine = message.split('\n')[0] ?? message;
  return firstLine.replace(/ at line \d+, column \d+:?$/, '').trim();
};

/**
 * Parses YAML or JSON source (JSON is YAML) into a position-aware tree. Syntax errors and
 * duplicate keys come back as issues with their line; nothing is thrown.
 */
const loadSourceTree = (source: string): LoadedSource => {
  const lineCounter = new LineCounter();
  const issues: ValidationIssue[] = [];
  const document: Document = parseDocument(source, { intAsBigInt: true, lineCounter, uniqueKeys: true });

  const spanOf = (start: number, end: number): SourceSpan => {
    const position = lineCounter.linePos(start);
    return { offset: start, length: Math.max(0, end - start), line: position.line, column: position.col };
  };
  const nodeSpan = (node: Node | null | undefined): SourceSpan => {
    const range = node?.range;
    return range ? spanOf(range[0], range[1]) : spanOf(0, 0);
  };

  // The first syntax error only: what the parser reports after it follows from it.
  const [firstError] = document.errors;
  if (firstError) {
    const position = lineCounter.linePos(firstError.pos[0]);
    issues.push({
      line: position.line,
      column: position.col,
      message: `YAML: ${yamlReason(firstError.message)}`,
    });
  }
  if (issues.length > 0) return { root: undefined, issues, lineCounter };

  const aliasDepth = { value: 0 };
  const convert = (node: unknown): SourceNode => {
    if (isAlias(node)) {
      if (aliasDepth.value > 50) throw new Error('YAML aliases nested too deeply');
      aliasDepth.value += 1;
      try {
        const target = node.resolve(document);
        return { ...convert(target), span: nodeSpan(node) };
      } finally {
        aliasDepth.value -= 1;
      }
    }
    if (isScalar(node)) {
      const raw = node.value;
      const value: ScalarValue =
        raw === null ||
        raw === undefined ||
        typeof raw === 'boolean' ||
        typeof raw === 'bigint' ||
        typeof raw === 'number' ||
        typeof raw === 'string'
          ? (raw ?? null)
          : String(raw);
      return { kind: 'scalar', value, span: nodeSpan(node) };
    }
    if (isSeq(node)) {
      return { kind: 'list', items: node.items.map((item) => convert(item)), span: nodeSpan(node) };
    }
    if (isMap(node)) {
      const entries: SourceEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key;
        let key: string;
        if (isScalar(keyNode)) key = keyText(keyNode.value);
        else if (keyNode === null || keyNode === undefined) key = 'null';
        else {
          const span = nodeSpan(keyNode as Node);
          issues.push({ line: span.line, column: span.column, message: 'a map key must be a plain value' });
          continue;
        }
        const keySpan = isScalar(keyNode) ? nodeSpan(keyNode) : nodeSpan(node);
        const value: SourceNode =
          pair.value === null || pair.value === undefined
            ? { kind: 'scalar', value: null, span: keySpan }
            : convert(pair.value);
        entries.push({ key, keySpan, value });
      }
      return { kind: 'map', entries, span: nodeSpan(node) };
    }
    // An empty node (e.g. `key:` with nothing after it) is null.
    return { kind: 'scalar', value: null, span: nodeSpan(node as Node | null) };
  };

  if (document.contents === null || document.contents === undefined) {
    issues.push({ line: 1, column: 1, message: 'the workflow is empty' });
    return { root: undefined, issues, lineCounter };
  }
  try {
    return { root: convert(document.contents), issues, lineCounter };
  } catch (error) {
    issues.push({ line: 1, column: 1, message: `YAML: ${(error as Error).message}` });
    return { root: undefined, issues, lineCounter };
  }
};

/** A source tree as plain JSON-compatible data (ints as numbers), for the JSON Schema check. */
const toPlainData = (node: SourceNode): unknown => {
  if (node.kind === 'scalar') return typeof node.value === 'bigint' ? Number(node.value) : node.value;
  if (node.kind === 'list') return node.items.map(toPlainData);
  const record: Record<string, unknown> = {};
  for (const entry of node.entries) {
    Object.defineProperty(record, entry.key, {
      value: toPlainData(entry.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return record;
};

/** The entry of a map with that key, if any. */
const entryOf = (node: SourceNode | undefined, key: string): SourceEntry | undefined =>
  node?.kind === 'map' ? node.entries.find((entry) => entry.key === key) : undefined;

/** The value under a key of a map, if any. */
const childOf = (node: SourceNode | undefined, key: string): SourceNode | undefined =>
  entryOf(node, key)?.value;

export type {
  LoadedSource,
  ScalarValue,
  SourceEntry,
  SourceList,
  SourceMap,
  SourceNode,
  SourceScalar,
  SourceSpan,
};
export { childOf, entryOf, loadSourceTree, toPlainData };
