// Package session keeps the dashboard's logins: it checks passwords, issues
// and verifies signed session tokens that survive a restart, forgets a
// session at logout, and slows down clients that guess passwords.
package session
