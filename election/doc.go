// Package election chooses the one pacer instance of a cluster that may write
// to Marathon, through ZooKeeper.
//
// Candidates create ephemeral sequential znodes under one path; the lowest is
// the leader and every other candidate watches only its predecessor (no herd
// effect). The leader's work runs under a context that is cancelled the moment
// its ZooKeeper session is disconnected or expired, before the server can
// expire the session and let another candidate win: the client gives up a
// silent connection after 2/3 of the session timeout, the server expires the
// session only after all of it. Without ZooKeeper servers the Elector is a
// single instance that is always leader.
//
// What it cannot prevent: a process frozen longer than the session timeout
// (a stopped container, a long GC pause) resumes believing it leads until its
// client notices, and a request already sent when the context is cancelled
// still lands. Marathon takes no fencing token, so leader work must check its
// context before each write and keep writes short.
package election
