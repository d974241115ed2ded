/**
 * The boundary of the admin query, as pure functions of ClickHouse's own
 * parse: the text of `EXPLAIN AST` (which parses and runs nothing) becomes a
 * tree, and every function it calls and every table it reads must be on an
 * allow-list. Functions are allowed by the engine's own catalogue
 * (system.functions): whole categories that only compute on their arguments,
 * plus a short list of harmless helpers; never the ones that read files,
 * reach the network, run programs or read the server (file, url, dictGet,
 * joinGet, ai*, introspection, getSetting…). Tables: Tributary's database,
 * unqualified names (the admin session's current database is Tributary's),
 * a few constant system tables, and a few generating table functions.
 * docs/decisions.md records why an allow-list on the AST.
 */

/** One node of `EXPLAIN AST`: its kind (`Function`, `TableIdentifier`, …), the rest of its line, its children. */
export interface AstNode {
  readonly kind: string;
  readonly text: string;
  readonly children: AstNode[];
  /** How many children ClickHouse said the node has (its `(children N)`), 0 when it said none. */
  readonly declared: number;
}

/**
 * Parses the text of `EXPLAIN AST` (one node a line, indented one space a
 * level, possibly in double quotes) into its root nodes. A quoted name may
 * hold a line break and so forge lines; {@link astRefusals} catches that
 * by holding each node to the number of children ClickHouse declared.
 */
export function parseAst(explain: string): AstNode[] {
  const roots: AstNode[] = [];
  const open: { depth: number; node: AstNode }[] = [];
  for (const raw of explain.split('\n')) {
    const line = raw.replace(/^"|"$/g, '');
    if (line.trim() === '') continue;
    const depth = line.length - line.trimStart().length;
    const [kind, ...rest] = line.trim().split(' ');
    const text = rest.join(' ');
    const declared = /\(children (\d+)\)$/.exec(text);
    const node: AstNode = { kind, text: text.replace(/ \(children \d+\)$/, ''), children: [], declared: declared === null ? 0 : Number(declared[1]) };
    while (open.length > 0 && open[open.length - 1].depth >= depth) open.pop();
    (open.length > 0 ? open[open.length - 1].node.children : roots).push(node);
    open.push({ depth, node });
  }
  return roots;
}

/** A row of system.functions, as the policy reads it. */
export interface FunctionRow {
  readonly name: string;
  readonly categories: string;
  readonly alias_to: string;
  readonly case_insensitive: number | string;
  readonly is_aggregate: number | string;
}

/** Categories of system.functions whose functions compute only on their arguments. */
const ALLOWED_CATEGORIES = new Set([
  'Aggregate Functions',
  'Arithmetic',
  'Arrays',
  'Bit',
  'Bitmap',
  'Comparison',
  'Conditional',
  'Dates and Times',
  'Distance',
  'Encoding',
  'Financial',
  'Geo',
  'Geo Polygon',
  'Hash',
  'IP Address',
  'JSON',
  'Logical',
  'Map',
  'Mathematical',
  'Null',
  'Random Number',
  'Rounding',
  'String',
  'String Replacement',
  'String Search',
  'String Splitting',
  'Time Window',
  'Tuple',
  'Type Conversion',
  'URL',
  'UUID',
]);

/** Harmless helpers from the catalogue's "Other" category (which also holds file, sleep, joinGet, getSetting and the like). */
const ALLOWED_OTHERS = new Set([
  'bar',
  'byteSize',
  'countDigits',
  'currentDatabase',
  'dumpColumnStructure',
  'finalizeAggregation',
  'formatReadableDecimalSize',
  'formatReadableQuantity',
  'formatReadableSize',
  'formatReadableTimeDelta',
  'identity',
  'ignore',
  'initializeAggregation',
  'isConstant',
  'isDecimalOverflow',
  'materialize',
  'neighbor',
  'parseReadableSize',
  'parseReadableSizeOrNull',
  'parseReadableSizeOrZero',
  'runningAccumulate',
  'runningDifference',
  'runningDifferenceStartingWithFirstValue',
  'toColumnTypeName',
  'toTypeName',
  'transform',
  'version',
  'visibleWidth',
]);

/** Table functions that only generate rows. */
const ALLOWED_TABLE_FUNCTIONS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'generate_series', 'generateSeries'];

/** System tables that hold no data of the server's and no other database's. */
const ALLOWED_SYSTEM_TABLES = new Set(['one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt']);

/** Suffixes that make an aggregate function of another (system.aggregate_function_combinators), longest first. */
const COMBINATORS = ['SimpleState', 'OrDefault', 'Distinct', 'Resample', 'ForEach', 'MergeState', 'ArgMax', 'ArgMin', 'OrNull', 'State', 'Merge', 'Tuple', 'Array', 'Null', 'Map', 'If'];

/** Which function names a query may call, as the catalogue names them. */
export class FunctionPolicy {
  private readonly exact = new Set<string>();
  private readonly anyCase = new Set<string>();
  /** Allowed aggregates, by exact name and lowercased where case does not matter: the only names combinators apply to. */
  private readonly aggregates = new Set<string>();

  /** Builds the policy from the rows of system.functions. */
  constructor(rows: readonly FunctionRow[]) {
    const byName = new Map(rows.map((row) => [row.name, row]));
    for (const row of rows) {
      const target = row.alias_to === '' ? row : byName.get(row.alias_to);
      if (target === undefined || !(ALLOWED_CATEGORIES.has(target.categories) || (target.categories === 'Other' && ALLOWED_OTHERS.has(target.name)))) continue;
      this.exact.add(row.name);
      if (Number(row.case_insensitive) === 1) this.anyCase.add(row.name.toLowerCase());
      if (Number(target.is_aggregate) === 1) this.aggregates.add(Number(row.case_insensitive) === 1 ? row.name.toLowerCase() : row.name);
    }
    for (const name of ALLOWED_TABLE_FUNCTIONS) this.exact.add(name);
  }

  /** Whether `name`, as a query spells it, calls an allowed function (an allowed aggregate with combinators included). */
  allows(name: string): boolean {
    return this.exact.has(name) || this.anyCase.has(name.toLowerCase()) || this.isAggregate(name);
  }

  /** Whether `name` is an allowed aggregate, with any combinators after it. */
  private isAggregate(name: string): boolean {
    if (this.aggregates.has(name) || (this.anyCase.has(name.toLowerCase()) && this.aggregates.has(name.toLowerCase()))) return true;
    const combinator = COMBINATORS.find((suffix) => name.length > suffix.length && name.endsWith(suffix));
    return combinator !== undefined && this.isAggregate(name.slice(0, -combinator.length));
  }
}

/** The functions whose second argument, written as a bare name, reads a table (`x IN db.t`). */
const IN_FUNCTIONS = new Set(['in', 'notIn', 'globalIn', 'globalNotIn', 'nullIn', 'notNullIn', 'globalNullIn', 'globalNotNullIn']);

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `table` (as `EXPLAIN AST` prints a table's name, without its alias) may not be read, or undefined when it may. */
function tableRefusal(table: string, database: string): string | undefined {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => PLAIN_NAME.test(part))) return `the table "${table}" is not a plain name`;
  if (parts.length === 1 || parts[0] === database) return undefined;
  if (parts[0] === 'system' && ALLOWED_SYSTEM_TABLES.has(parts[1])) return undefined;
  return `the table "${table}" is outside the database ${database}`;
}

const withoutAlias = (text: string): string => text.replace(/ \(alias .*\)$/, '');

/**
 * The kinds of AST node a query may hold: those of SELECTs, their
 * expressions and their clauses. Anything else is refused, among them
 * `ColumnsApplyTransformer` (`* APPLY(file)` names a function no Function
 * node shows), `Set` (a SETTINGS clause) and `QueryParameter`.
 */
const ALLOWED_NODES = new Set([
  'ArrayJoin',
  'Asterisk',
  'ColumnsExceptTransformer',
  'ColumnsListMatcher',
  'ColumnsRegexpMatcher',
  'ColumnsReplaceTransformer',
  'ColumnsReplaceTransformer::Replacement',
  'ColumnsTransformerList',
  'ExpressionList',
  'Function',
  'Identifier',
  'Literal',
  'OrderByElement',
  'QualifiedAsterisk',
  'QualifiedColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher',
  'SampleRatio',
  'SelectIntersectExceptQuery',
  'SelectQuery',
  'SelectWithUnionQuery',
  'Subquery',
  'TableExpression',
  'TableIdentifier',
  'TableJoin',
  'TablesInSelectQuery',
  'TablesInSelectQueryElement',
  'WindowDefinition',
  'WindowListElement',
  'WithElement',
]);

/**
 * Why the parsed query may not run: every function it calls outside
 * `functions`, every table outside `database` and the allowed system tables,
 * any SETTINGS clause of its own, and any node of a kind outside
 * ALLOWED_NODES. Empty when it may run.
 */
export function astRefusals(roots: readonly AstNode[], functions: FunctionPolicy, database: string): string[] {
  const refusals = new Set<string>();
  const visit = (node: AstNode): void => {
    if (node.children.length !== node.declared)
      refusals.add(`the parse of a ${node.kind} has ${node.children.length} children where ClickHouse counted ${node.declared} (a name holding a line break?)`);
    if (node.kind === 'Function') {
      const name = withoutAlias(node.text);
      if (!functions.allows(name)) refusals.add(`the function ${name} is not allowed`);
      // Any bare name among an IN's arguments may name a table: each must be one that may be read.
      const tables = IN_FUNCTIONS.has(name) ? (node.children[0]?.children ?? []).filter((child) => child.kind === 'Identifier') : [];
      for (const table of tables) {
        const refusal = tableRefusal(withoutAlias(table.text), database);
        if (refusal !== undefined) refusals.add(refusal);
      }
    } else if (node.kind === 'TableIdentifier') {
      const refusal = tableRefusal(withoutAlias(node.text), database);
      if (refusal !== undefined) refusals.add(refusal);
    } else if (node.kind === 'Set') {
      refusals.add('a query may not carry its own SETTINGS clause');
    } else if (!ALLOWED_NODES.has(node.kind)) {
      refusals.add(`the query holds a ${node.kind}, which the admin query does not allow`);
    }
    node.children.forEach(visit);
  };
  if (roots.length !== 1) refusals.add(`the parse has ${roots.length} roots where one statement has one`);
  roots.forEach(visit);
  return [...refusals];
}
