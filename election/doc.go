// Package election chooses the one pacer instance of a cluster that may write
// to Marathon, through ZooKeeper.
//
// Candidates create ephemeral sequential znodes under one path; the lowest is
// the leader and every other candidate watches only its predecessor (no herd
// effect). The leader's work runs under a context that is cancelled the moment
// its ZooKeeper session is disconnected or expired, before the server can
// expire the session and let another candidate win. Without ZooKeeper servers
// the Elector is a single instance that is always leader.
package election
