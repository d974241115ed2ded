/**
 * The admin query's guard as pure functions: the tree read from `EXPLAIN AST`
 * text, the function policy built from catalogue rows (categories, aliases,
 * case, aggregate combinators), and the refusals of a tree.
 */
import { astRefusals, FunctionPolicy, parseAst } from '../../../src/storage/admin-query-guard';

const policy = new FunctionPolicy([
  { name: 'count', categories: 'Aggregate Functions', alias_to: '', case_insensitive: 1 },
  { name: 'sum', categories: 'Aggregate Functions', alias_to: '', case_insensitive: 0 },
  { name: 'lower', categories: 'String', alias_to: '', case_insensitive: 0 },
  { name: 'lcase', categories: '', alias_to: 'lower', case_insensitive: 1 },
  { name: 'file', categories: 'Other', alias_to: '', case_insensitive: 0 },
  { name: 'toTypeName', categories: 'Other', alias_to: '', case_insensitive: 0 },
  { name: 'addressToSymbol', categories: 'Introspection', alias_to: '', case_insensitive: 0 },
  { name: 'sneaky', categories: '', alias_to: 'file', case_insensitive: 1 },
]);

it('allows by category, alias, case where the catalogue allows it, and aggregate combinators', () => {
  expect(['count', 'COUNT', 'sum', 'sumIf', 'sumIfOrNull', 'countDistinct', 'lower', 'LCASE', 'toTypeName', 'numbers'].filter((n) => !policy.allows(n))).toEqual([]);
  expect(['SUM', 'LOWER', 'file', 'FILE', 'fileIf', 'sneaky', 'SNEAKY', 'addressToSymbol', 'If', 'unknown'].filter((n) => policy.allows(n))).toEqual([]);
});

const AST = [
  '"SelectWithUnionQuery (children 1)"',
  '" ExpressionList (children 1)"',
  '"  SelectQuery (children 2)"',
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
  expect(roots[0].children[0].children[0].children[0].children[0]).toMatchObject({ kind: 'Function', text: 'lower (alias l)' });
  expect(astRefusals(roots, policy, 'mine')).toEqual([
    'the function file is not allowed',
    'the function in is not allowed',
    'the table "system.users" is outside the database mine',
    'the table "sys.tem.c d" is not a plain name',
    'the query holds a ColumnsApplyTransformer, which the admin query does not allow',
  ]);
  expect(astRefusals(parseAst(AST.split('\n').slice(0, 6).join('\n')), policy, 'mine')).toEqual([]);
});
