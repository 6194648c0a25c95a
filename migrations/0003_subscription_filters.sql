-- Subscription filters (API.md "Subscription filters"): the filter as JSON text, NULL = no filter.
ALTER TABLE `subscriptions` ADD `filter` text;
