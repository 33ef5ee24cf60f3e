// A sample partner subgraph (state HR system) for the federation tests.
// HR_EMPLOYEES: JSON list of {officerId, employeeNumber, payGrade, department}.
// Prints one line {"ready": "<url>"} once it listens on 127.0.0.1 (HR_PORT, default: a free port).
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const typeDefs = parse(readFileSync(new URL('./hr.graphql', import.meta.url), 'utf8'));
const employees = JSON.parse(process.env.HR_EMPLOYEES ?? '[]');
const view = (e) =>
  e ? { id: e.officerId, hrEmployeeNumber: e.employeeNumber, payGrade: e.payGrade, hrDepartment: e.department } : null;

const resolvers = {
  Query: {
    hrEmployees: () => employees.map(view),
    hrEmployee: (_root, { employeeNumber }) => view(employees.find((e) => e.employeeNumber === employeeNumber)),
  },
  Officer: {
    __resolveReference: (ref) => view(employees.find((e) => e.officerId === ref.id)),
  },
};

const server = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
  plugins: [ApolloServerPluginInlineTraceDisabled()],
  stopOnTerminationSignals: false, // a test fixture: exit at once on SIGTERM (below)
});
process.on('SIGTERM', () => process.exit(0));
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.HR_PORT ?? 0) },
});
console.log(JSON.stringify({ ready: url }));
