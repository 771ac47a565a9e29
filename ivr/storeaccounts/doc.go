// Package storeaccounts answers the IVR's self-service queries
// (ivr.Accounts) from Hotline's store: customers by calling number or
// account number, and the customer_accounts self-service data.
package storeaccounts
