// Package pdtest is a local PagerDuty Events API v2 receiver for tests: it
// checks events the way PagerDuty does (required fields, severity and action
// enums, dedup_key and summary lengths, payload size), answers 400 with
// PagerDuty's error body when they are invalid and 202 with the dedup_key
// otherwise, and can be told to answer 429 or 5xx for the next requests.
// e2e tests point go-pagerduty at it with WithV2EventsAPIEndpoint(r.URL).
package pdtest
