/**
 * @since 0.1.0
 */

/**
 * The demo's restaurants and the logic of both servers.
 *
 * @since 0.1.0
 */
export * as Restaurants from "./restaurants.js"

/**
 * The `restaurant-search` and `restaurant-reasoning` MCP servers.
 *
 * @since 0.1.0
 */
export * as Servers from "./servers.js"
