-- Relay endpoints (issue 18, `hookrelay listen`): an endpoint of kind 'relay' has no URL and is never sent
-- HTTP; its deliveries travel over a WebSocket held by the CLI. `url` stays NOT NULL and is '' for relay
-- endpoints, so the table needs no rebuild and every existing reader keeps its string.
ALTER TABLE `endpoints` ADD `kind` text DEFAULT 'http' NOT NULL;
