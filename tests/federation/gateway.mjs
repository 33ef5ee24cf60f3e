// The real @apollo/gateway in front of the registry subgraph and the HR subgraph.
//
// REGISTRY_URL, HR_URL             subgraph endpoints
// SUPERGRAPH_FILE                  use this composed supergraph (else IntrospectAndCompose at start-up)
// GATEWAY_SCHEMA_TOKEN             bearer token used ONLY to read the registry's _service SDL (it needs an
//                                  authenticated caller); never sent with a caller's operation
// REGISTRY_SUBGRAPH_SECRET         sent to the registry on every request (Registry-Subgraph-Secret)
// GATEWAY_PORT                     default: a free port; prints {"ready": "<url>"} once listening
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';

// GraphQLDataSourceRequestKind.INCOMING_OPERATION (the enum is not exported by the package's entry point).
// The other kinds are the gateway's own requests: loading the schema and health checks.
const INCOMING_OPERATION = 'incoming operation';

// The caller's identity and declared purpose go to the registry, and to the registry only.
const FORWARDED = ['authorization', 'registry-purpose'];
const env = process.env;

class RegistryDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context, kind }) {
    const headers = request.http.headers;
    if (env.REGISTRY_SUBGRAPH_SECRET) headers.set('registry-subgraph-secret', env.REGISTRY_SUBGRAPH_SECRET);
    if (kind === INCOMING_OPERATION) {
      for (const name of FORWARDED) {
        const value = context.forwarded?.[name];
        if (value) headers.set(name, value);
      }
    } else if (env.GATEWAY_SCHEMA_TOKEN) {
      headers.set('authorization', `Bearer ${env.GATEWAY_SCHEMA_TOKEN}`);
    }
  }
}

const subgraphs = [
  { name: 'registry', url: env.REGISTRY_URL },
  { name: 'hr', url: env.HR_URL },
];
const buildService = ({ name, url }) =>
  name === 'registry' ? new RegistryDataSource({ url }) : new RemoteGraphQLDataSource({ url });

const gateway = env.SUPERGRAPH_FILE
  ? new ApolloGateway({ supergraphSdl: readFileSync(env.SUPERGRAPH_FILE, 'utf8'), buildService })
  : new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs }), buildService });

// A test fixture: stop at once on SIGTERM instead of draining connections for up to 10 s.
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false, stopOnTerminationSignals: false });
process.on('SIGTERM', () => process.exit(0));
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(env.GATEWAY_PORT ?? 0) },
  context: async ({ req }) => ({
    forwarded: Object.fromEntries(FORWARDED.filter((h) => req.headers[h]).map((h) => [h, req.headers[h]])),
  }),
});
console.log(JSON.stringify({ ready: url }));
