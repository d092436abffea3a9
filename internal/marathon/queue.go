package marathon

import (
	"context"
	"fmt"
)

type queueBody struct {
	Queue []struct {
		App struct {
			ID string `json:"id"`
		} `json:"app"`
		Count int `json:"count"`
		Delay struct {
			TimeLeftSeconds int  `json:"timeLeftSeconds"`
			Overdue         bool `json:"overdue"`
		} `json:"delay"`
		Since                  string `json:"since"`
		ProcessedOffersSummary struct {
			ProcessedOffersCount int `json:"processedOffersCount"`
			UnusedOffersCount    int `json:"unusedOffersCount"`
		} `json:"processedOffersSummary"`
	} `json:"queue"`
}

// Queue returns the launch queue: apps with tasks waiting to be launched.
func (c *Client) Queue(ctx context.Context) ([]QueueItem, error) {
	var body queueBody
	if _, err := c.do(ctx, "GET", "/v2/queue", nil, nil, &body); err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	items := make([]QueueItem, 0, len(body.Queue))
	for _, q := range body.Queue {
		items = append(items, QueueItem{
			AppID: q.App.ID, Count: q.Count,
			Delayed:         !q.Delay.Overdue && q.Delay.TimeLeftSeconds > 0,
			TimeLeftSeconds: q.Delay.TimeLeftSeconds, Since: q.Since,
			UnusedOffers:    q.ProcessedOffersSummary.UnusedOffersCount,
			ProcessedOffers: q.ProcessedOffersSummary.ProcessedOffersCount,
		})
	}
	return items, nil
}
