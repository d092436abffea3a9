package alerting_test

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
)

func ExampleTracker() {
	policy, err := alerting.NewPolicy("production", "high",
		map[string]time.Duration{"Unhealthy": 2 * time.Minute}, alerting.KeyRef{FromEnv: "PD_AUTOFILL_PROD"})
	if err != nil {
		panic(err)
	}
	tr := alerting.NewTracker(alerting.TrackerOptions{})
	sick := alerting.Signal{Condition: alerting.Unhealthy, Cluster: "ams", App: "/services/autofill/production/app",
		Group: "/services/autofill", Environment: "production", Policy: &policy,
		Details: alerting.Details{Instances: 12, Healthy: 9, Unhealthy: 3}}
	start := time.Date(2025, 3, 4, 3, 0, 0, 0, time.UTC)
	for m := range 8 {
		var holding []alerting.Signal
		if m < 4 {
			holding = append(holding, sick)
		}
		for _, inc := range tr.Observe(start.Add(time.Duration(m)*time.Minute), holding) {
			fmt.Printf("%dm %s %s %s\n  %s\n", m, inc.State, inc.Severity, inc.DedupKey, inc.Summary)
		}
	}
	// Output:
	// 2m trigger critical pacer/ams/services/autofill/production/app/Unhealthy
	//   /services/autofill/production/app: 3 of 12 tasks unhealthy for 2m on ams
	// 6m resolve critical pacer/ams/services/autofill/production/app/Unhealthy
	//   Resolved after 6m: /services/autofill/production/app: 3 of 12 tasks unhealthy for 2m on ams
}

// Example_wiring is how `pacer run` wires alerting: cmd owns the clock,
// the flags and the translation of reconciler and lb state into Signals.
func Example_wiring() {
	run := func(ctx context.Context, endpoint, defaultKeyFile string, refs []alerting.KeyRef, passes <-chan []alerting.Signal) error {
		log := logr.FromContextOrDiscard(ctx).WithName("alerting")
		ctx = logr.NewContext(ctx, log)
		keys := alerting.KeyResolver{DefaultFile: defaultKeyFile} // --pagerduty-routing-key-file
		tr := alerting.NewTracker(alerting.TrackerOptions{
			ClusterPolicy: alerting.Policy{Urgency: alerting.UrgencyHigh}, // default key
			Links:         alerting.LinkOptions{StatusURL: "http://pacer.ams:9090/status"},
		})
		var notifier alerting.Notifier = alerting.LogNotifier{}
		if keys.Configured(refs...) {
			d, err := alerting.NewDelivery(alerting.NewPagerDuty(alerting.PagerDutyOptions{Endpoint: endpoint}),
				alerting.DeliveryOptions{Keys: keys, Now: time.Now, After: time.After})
			if err != nil {
				return err
			}
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }() // sends until ctx ends, then flushes
			defer func() { <-done }()
			notifier = d
		} else {
			log.Info("No PagerDuty routing key configured, incidents are only logged")
		}
		for sigs := range passes {
			for _, inc := range tr.Observe(time.Now(), sigs) {
				if err := notifier.Notify(ctx, inc); err != nil {
					return err
				}
			}
			// persist tr.OpenIncidents() here; tr.Restore them at start.
		}
		return nil
	}
	_ = run
}
