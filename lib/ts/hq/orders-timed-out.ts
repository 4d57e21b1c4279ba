// An orders file stopped at its deadline (hq/orders.ts throws it). Unlike a
// syntax error it may read fine another time (a ship too busy to run it in
// time: a cold start of a hundred services), so the service's pipeline reads
// it again, with backoff. Its own file: the pipeline (pure) needs the class,
// not the reading's I/O.
export class OrdersTimedOut extends Error {}
