package gitsource

import (
	"math"
	"sync"
	"time"
)

// RateLimit is a token bucket per client address: Burst requests at once,
// refilled at Rate per second.
type RateLimit struct {
	// Rate is the refill in requests per second; 0 takes the default (1/s),
	// a negative rate turns limiting off.
	Rate float64
	// Burst is the bucket size; default 20.
	Burst int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// maxBuckets bounds the addresses remembered; beyond it, full buckets
// (clients quiet long enough to be back at Burst) are forgotten.
const maxBuckets = 10000

type bucket struct {
	tokens float64
	at     time.Time
}

// limiter applies a RateLimit per key.
type limiter struct {
	rate    float64
	burst   float64
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

func newLimiter(rl RateLimit) *limiter {
	if rl.Rate < 0 {
		return nil
	}
	if rl.Rate == 0 {
		rl.Rate = 1
	}
	if rl.Burst <= 0 {
		rl.Burst = 20
	}
	if rl.Now == nil {
		rl.Now = time.Now
	}
	return &limiter{rate: rl.Rate, burst: float64(rl.Burst), now: rl.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket. When there is none it reports how
// long until there is one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forgetFull(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

func (l *limiter) forgetFull(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
