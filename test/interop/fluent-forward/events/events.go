// Package events holds the events both senders send: event i's line and time (the test builds the same).
package events

import (
	"fmt"
	"time"
)

// Base is event 0's time; event i is i ms and i ns after it.
var Base = time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.UTC)

// Line is event i's log line: a pino JSON line, a Java-style line, a plain line with non-ASCII text in turn.
func Line(i int) string {
	switch i % 3 {
	case 0:
		return fmt.Sprintf(`{"level":50,"time":1764410400000,"msg":"payment %d failed","order":%d}`, i, i)
	case 1:
		return fmt.Sprintf("2026-11-29 10:00:00,123 WARN [main] com.shop.Cart - cart %d stale", i)
	default:
		return fmt.Sprintf("plain line %d ünïcode ✓", i)
	}
}

// At is event i's time.
func At(i int) time.Time { return Base.Add(time.Duration(i)*time.Millisecond + time.Duration(i)) }
