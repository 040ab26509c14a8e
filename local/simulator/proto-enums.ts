import { readFileSync } from 'node:fs';

/**
 * The numbers of proto enum values, read from the `protos.json` a GAPIC package ships. gax clients
 * send enums as numbers (api-contracts §0), and a discovery document lists enum names without their
 * numbers: the position in its list is the number only when the proto enum has no gaps and declares
 * its values in order. Fourteen of container v1's request enums do not (`NodePoolUpdateStrategy`:
 * BLUE_GREEN = 2, SURGE = 3), nor does Filestore's `Instance.Tier`, so positions would turn a gax
 * client's ENTERPRISE into ZONAL. Where the package is installed, its numbers are used instead.
 */

/** Where the protos of a gax-driven API live: an installed package's `protos.json` and the API's proto package. */
interface ProtoSource {
  /** Module path for `require.resolve`, e.g. `@google-cloud/container/build/protos/protos.json`. */
  module: string;
  /** The API's proto package, e.g. `google.container.v1`; its enums win over imported ones. */
  namespace: string;
}

/** One proto enum: its dotted path relative to the API's package (or its full name outside it). */
interface ProtoEnum {
  path: string;
  values: Readonly<Record<string, number>>;
  inNamespace: boolean;
}

/** Enum names by number, as a lookup for one discovery enum. */
type EnumNumbering = ReadonlyMap<number, string>;

/** Every enum of a protos.json, found by the caller's {@link ProtoSource}. */
interface ProtoEnumTable {
  /**
   * The numbering of the proto enum that a discovery enum (`names`, declared on schema `schemaName`)
   * stands for, or `undefined` when no proto enum fits: then the caller falls back to positions.
   */
  numberingFor(schemaName: string, names: readonly string[]): EnumNumbering | undefined;
}

interface ProtoNode {
  nested?: Record<string, ProtoNode>;
  values?: Record<string, number>;
}

const collectEnums = (node: ProtoNode, path: string[], namespace: string, out: ProtoEnum[]): void => {
  for (const [name, child] of Object.entries(node.nested ?? {})) {
    const childPath = [...path, name];
    const fullName = childPath.join('.');
    if (child.values) {
      const inNamespace = fullName.startsWith(`${namespace}.`);
      out.push({
        path: inNamespace ? fullName.slice(namespace.length + 1) : fullName,
        values: child.values,
        inNamespace,
      });
    }
    collectEnums(child, childPath, namespace, out);
  }
};

/** Share of the discovery names a proto enum defines, penalised by proto names the discovery list lacks. */
const overlapScore = (names: readonly string[], values: Readonly<Record<string, number>>): number => {
  const protoNames = Object.keys(values);
  const shared = names.filter((name) => name in values).length;
  return shared / (names.length + protoNames.length - shared);
};

/** Lexicographic order of two equally long rank tuples. */
const compareRanks = (a: readonly number[], b: readonly number[]): number => {
  for (const [index, value] of a.entries()) {
    const other = b[index] ?? 0;
    if (value !== other) return value - other;
  }
  return 0;
};

/**
 * Picks the proto enum for a discovery enum: the best name overlap (at least half), preferring the
 * API's own package and, between equals, an enum nested in the message of the same name
 * (`ClusterUpgradeInfo.AutoUpgradeStatus` over `NodePoolUpgradeInfo.AutoUpgradeStatus`, whose
 * names are the same but whose numbers are not).
 */
const bestMatch = (
  enums: readonly ProtoEnum[],
  schemaName: string,
  names: readonly string[],
): ProtoEnum | undefined => {
  let best: { candidate: ProtoEnum; rank: number[] } | undefined;
  for (const candidate of enums) {
    const score = overlapScore(names, candidate.values);
    if (score < 0.5) continue;
    const rank = [score, candidate.inNamespace ? 1 : 0, candidate.path.startsWith(`${schemaName}.`) ? 1 : 0];
    if (best === undefined || compareRanks(rank, best.rank) > 0) best = { candidate, rank };
  }
  return best?.candidate;
};

/**
 * Reads a package's protos.json. Returns `undefined` when the package is not installed, as the
 * numbering is a refinement: without it enums still work by position.
 */
const loadProtoEnums = (source: ProtoSource): ProtoEnumTable | undefined => {
  let file: string;
  try {
    file = require.resolve(source.module);
  } catch {
    return undefined;
  }
  const enums: ProtoEnum[] = [];
  collectEnums(JSON.parse(readFileSync(file, 'utf8')) as ProtoNode, [], source.namespace, enums);
  return {
    numberingFor(schemaName, names) {
      const match = bestMatch(enums, schemaName, names);
      if (!match) return undefined;
      return new Map(Object.entries(match.values).map(([name, number]) => [number, name]));
    },
  };
};

export type { EnumNumbering, ProtoEnumTable, ProtoSource };
export { loadProtoEnums };
