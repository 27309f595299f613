/**
 * What `restaurant-search` offers besides its tools: the districts as a resource, each
 * district's restaurants as a resource template (with completion of the district), and a prompt
 * that plans a dinner (with completion of its arguments), so that the command line and the demo
 * can show resources, prompts and completion on a server of our own.
 *
 * @since 0.1.0
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as McpServer from "@effect/ai/McpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Restaurants from "./restaurants.js"

const startingWith = (values: ReadonlyArray<string>, input: string) =>
  Effect.succeed(values.filter((value) => value.toLowerCase().startsWith(input.trim().toLowerCase())))

const Districts = McpServer.resource({
  uri: "restaurants://districts",
  name: "districts",
  description: "The Hong Kong districts of the data set",
  mimeType: "application/json",
  content: Effect.succeed(JSON.stringify(Restaurants.districts))
})

const district = McpSchema.param("district", Schema.String)

const DistrictRestaurants = McpServer.resource`restaurants://district/${district}`({
  name: "restaurants of a district",
  description: "The restaurants of one district, best rated first",
  mimeType: "application/json",
  completion: { district: (input: string) => startingWith(Restaurants.districts, input) },
  content: (_uri, district) => Effect.succeed(JSON.stringify(Restaurants.search({ district })))
})

const PlanDinner = McpServer.prompt({
  name: "plan_dinner",
  description: "Ask for a dinner plan in a district, within a budget",
  parameters: Schema.Struct({ district: Schema.String, budget: Schema.String }),
  completion: {
    district: (input: string) => startingWith(Restaurants.districts, input),
    budget: (input: string) => startingWith(["1", "2", "3", "4"], input)
  },
  content: ({ budget, district }) =>
    Effect.succeed(
      `Plan a dinner in ${district} at price level ${budget} or below (1 cheap to 4 lavish). ` +
        `Use search_restaurants_combined, then explain the choice in two sentences.`
    )
})

/**
 * The resources, the resource template and the prompt of `restaurant-search`.
 *
 * @since 0.1.0
 * @category layers
 */
export const searchCatalog: Layer.Layer<never, never, McpServer.McpServer> = Layer.mergeAll(Districts, DistrictRestaurants, PlanDinner)
