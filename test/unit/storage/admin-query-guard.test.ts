/**
 * The admin query's guard as pure functions: the tree read from `EXPLAIN AST`
 * text, the function policy built from catalogue rows (categories, aliases,
 * case, aggregate combinators), and the refusals of a tree.
 */
import { astRefusals, FunctionPolicy, parseAst } from '../../../src/storage/admin-query-guard';

const policy = new FunctionPolicy([
  { name: 'count', categories: 'Aggregate Functions', alias_to: '', case_insensitive: 1, is_aggregate: 1 },
  { name: 'sum', categories: 'Aggregate Functions', alias_to: '', case_insensitive: 0, is_aggregate: 1 },
  { name: 'lower', categories: 'String', alias_to: '', case_insensitive: 0, is_aggregate: 0 },
  { name: 'lcase', categories: '', alias_to: 'lower', case_insensitive: 1, is_aggregate: 0 },
  { name: 'file', categories: 'Other', alias_to: '', case_insensitive: 0, is_aggregate: 0 },
  { name: 'toTypeName', categories: 'Other', alias_to: '', case_insensitive: 0, is_aggregate: 0 },
  { name: 'addressToSymbol', categories: 'Introspection', alias_to: '', case_insensitive: 0, is_aggregate: 0 },
  { name: 'sneaky', categories: '', alias_to: 'file', case_insensitive: 1, is_aggregate: 0 },
  { name: 'in', categories: 'Comparison', alias_to: '', case_insensitive: 0, is_aggregate: 0 },
]);

it('allows by category, alias, case where the catalogue allows it, and aggregate combinators', () => {
  expect(['count', 'COUNT', 'countIf', 'sum', 'sumIf', 'sumIfOrNull', 'countDistinct', 'lower', 'LCASE', 'toTypeName', 'numbers'].filter((n) => !policy.allows(n))).toEqual([]);
  expect(['SUM', 'SUMIf', 'LOWER', 'lowerIf', 'file', 'FILE', 'fileIf', 'sneaky', 'SNEAKY', 'addressToSymbol', 'If', 'unknown'].filter((n) => policy.allows(n))).toEqual([]);
});

const AST = [
  '"SelectWithUnionQuery (children 2)"',
  '" ExpressionList (children 1)"',
  '"  SelectQuery (children 3)"',
  '"   ExpressionList (children 2)"',
  '"    Function lower (alias l) (children 1)"',
  '"     ExpressionList (children 1)"',
  '"      Function file (children 1)"',
  '"       ExpressionList (children 1)"',
  '"        Literal \'/etc/passwd\'"',
  '"    Function in (children 1)"',
  '"     ExpressionList (children 2)"',
  '"      Literal UInt64_1"',
  '"      Identifier system.users"',
  '"   TablesInSelectQuery (children 2)"',
  '"    TablesInSelectQueryElement (children 1)"',
  '"     TableExpression (children 1)"',
  '"      TableIdentifier mine.events (alias e)"',
  '"    TablesInSelectQueryElement (children 1)"',
  '"     TableExpression (children 1)"',
  '"      TableIdentifier sys.tem.c d"',
  '"   ColumnsApplyTransformer"',
  '" Identifier TabSeparatedRaw"',
].join('\n');

it('reads the tree and names every refusal in it', () => {
  const roots = parseAst(AST);
  expect(roots.map((r) => r.kind)).toEqual(['SelectWithUnionQuery']);
  expect(roots[0].children.map((r) => r.kind)).toEqual(['ExpressionList', 'Identifier']);
  expect(roots[0].children[0].children[0].children[0].children[0]).toMatchObject({ kind: 'Function', text: 'lower (alias l)', declared: 1 });
  expect(astRefusals(roots, policy, 'mine')).toEqual([
    'the function file is not allowed',
    'the table "system.users" is outside the database mine',
    'the table "sys.tem.c d" is not a plain name',
    'the query holds a ColumnsApplyTransformer, which the admin query does not allow',
  ]);
});

it('allows a clean tree, and catches lines forged by a name that holds a line break', () => {
  const clean = [
    '"SelectWithUnionQuery (children 1)"',
    '" ExpressionList (children 1)"',
    '"  SelectQuery (children 1)"',
    '"   ExpressionList (children 1)"',
    '"    Function in (children 1)"',
    '"     ExpressionList (children 2)"',
    '"      Literal UInt64_1 (alias a)"',
    '"      Identifier x"',
  ];
  expect(astRefusals(parseAst(clean.join('\n')), policy, 'mine')).toEqual([]);
  // `(1 AS \`a<newline>      Literal b\`) IN system.users`: the alias's line break forges a node before the real table.
  const forged = [...clean.slice(0, 6), '"      Literal UInt64_1 (alias a"', '"      Literal b)"', '"      Identifier system.users"'];
  expect(astRefusals(parseAst(forged.join('\n')), policy, 'mine')).toEqual([
    'the table "system.users" is outside the database mine',
    'the parse of a ExpressionList has 3 children where ClickHouse counted 2 (a name holding a line break?)',
  ]);
  expect(astRefusals(parseAst([...clean, '"Identifier forged"'].join('\n')), policy, 'mine')).toEqual(['the parse has 2 roots where one statement has one']);
});
