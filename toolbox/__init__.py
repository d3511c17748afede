"""`coalition`: the operator's command line. It talks to the API over HTTP (a local or a deployed stage), never to
DynamoDB, so it runs wherever the operator key works; Lambda does not ship it (it is not in chalicelib)."""
