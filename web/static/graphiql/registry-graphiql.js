// The registry's GraphiQL bootstrap (web/graphiql.py), after strawberry's built-in page: every script comes
// from this origin, so the page works offline and under a Content-Security-Policy without 'unsafe-inline'.
// GraphiQL talks to the URL this page was served from (/graphql): queries over HTTP POST, subscriptions
// over graphql-transport-ws on the same URL. Whatever the Headers editor holds ({"Authorization": "Bearer …"})
// goes with every request and, for subscriptions, in the connection_init payload.
(function () {
  "use strict";

  const EXAMPLE_QUERY = `# GraphiQL for the officer certification registry.
#
# Anonymous callers see only public data. To call as yourself, open the
# Headers tab below and paste your token:
#
#     {"Authorization": "Bearer <token>"}
#
# Run a query with Ctrl-Enter (or the play button); Ctrl-Space completes.

{
  me {
    role
  }
}
`;

  // ?q=, ?variables= and ?headers= in the page URL prefill the editors (shareable links, as strawberry's page)
  const parameters = Object.fromEntries(new URLSearchParams(window.location.search));

  function updateURL(data) {
    Object.assign(parameters, data);
    const kept = Object.entries(parameters).filter(([, value]) => Boolean(value));
    history.replaceState(null, "", "?" + new URLSearchParams(kept).toString());
  }

  const fetchURL = window.location.href.split("?")[0].split("#")[0];
  const subscriptionURL = new URL(fetchURL);
  subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({ url: fetchURL, subscriptionUrl: subscriptionURL.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function RegistryGraphiQL() {
    const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(parameters.headers);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: query,
      variables: variables,
      headers: headers,
      onEditQuery: (value) => { setQuery(value); updateURL({ q: value }); },
      onEditVariables: (value) => { setVariables(value); updateURL({ variables: value }); },
      onEditHeaders: setHeaders,  // never into the URL: headers carry tokens
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(RegistryGraphiQL));
})();
