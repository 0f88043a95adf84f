//go:build !unix

package pebblestore

// lockHolder returns 0: this system does not say which process holds a
// lock.
func lockHolder(string) int { return 0 }
