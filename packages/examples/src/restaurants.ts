/**
 * The demo's data set and the pure logic of both restaurant servers: searching, recommending
 * and a small lexicon-based sentiment analysis of review snippets.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const MealType = Schema.Literal("breakfast", "brunch", "lunch", "dinner", "late-night")

/**
 * @since 0.1.0
 * @category models
 */
export type MealType = typeof MealType.Type

/**
 * @since 0.1.0
 * @category models
 */
export class Restaurant extends Schema.Class<Restaurant>("Restaurant")({
  name: Schema.String,
  district: Schema.String,
  cuisine: Schema.String,
  mealTypes: Schema.Array(MealType),
  /** 1 ($) to 4 ($$$$). */
  priceLevel: Schema.Number,
  rating: Schema.Number,
  reviews: Schema.Array(Schema.String)
}) {}

const r = (
  name: string,
  district: string,
  cuisine: string,
  mealTypes: ReadonlyArray<MealType>,
  priceLevel: number,
  rating: number,
  reviews: ReadonlyArray<string>
) => new Restaurant({ name, district, cuisine, mealTypes, priceLevel, rating, reviews })

/**
 * Twenty-four restaurants across six districts.
 *
 * @since 0.1.0
 * @category data
 */
export const restaurants: ReadonlyArray<Restaurant> = [
  r("Harbour Lantern", "Central", "Cantonese", ["lunch", "dinner"], 3, 4.6, [
    "Excellent roast goose, crispy skin and friendly staff.",
    "A bit pricey but the dim sum is outstanding."
  ]),
  r("Peel Street Noodle Bar", "Central", "Noodles", ["lunch", "late-night"], 1, 4.2, [
    "Fast, cheap and delicious wonton noodles.",
    "Crowded at lunch, service can be slow."
  ]),
  r("Lan Kwai Grill", "Central", "Steakhouse", ["dinner", "late-night"], 4, 4.4, [
    "Perfect steak, great wine list.",
    "Expensive, and the music was too loud."
  ]),
  r("Morning Tram Café", "Central", "Café", ["breakfast", "brunch"], 2, 4.1, [
    "Lovely eggs benedict and good coffee.",
    "Small tables, a bit cramped."
  ]),
  r("Wan Chai Wok House", "Wan Chai", "Cantonese", ["lunch", "dinner"], 2, 4.3, [
    "Great value seafood fried rice, friendly owners.",
    "Noisy but authentic and tasty."
  ]),
  r("Lockhart Curry Club", "Wan Chai", "Indian", ["lunch", "dinner", "late-night"], 2, 4.5, [
    "Amazing butter chicken, generous portions.",
    "Delicious naan, attentive service."
  ]),
  r("Star Street Bistro", "Wan Chai", "French", ["brunch", "dinner"], 3, 4.7, [
    "Wonderful duck confit, elegant and cozy.",
    "Outstanding desserts, excellent service."
  ]),
  r("Hennessy Ramen", "Wan Chai", "Japanese", ["lunch", "dinner", "late-night"], 2, 3.9, [
    "Rich broth, good noodles.",
    "Long queue and the room is cramped."
  ]),
  r("Kowloon Dragon Palace", "Tsim Sha Tsui", "Cantonese", ["lunch", "dinner"], 4, 4.8, [
    "Outstanding Peking duck and a stunning harbour view.",
    "Impeccable service, perfect for celebrations."
  ]),
  r("Nathan Road Dai Pai Dong", "Tsim Sha Tsui", "Street food", ["dinner", "late-night"], 1, 4.0, [
    "Cheap, cheerful and tasty clay pot rice.",
    "Plastic stools and slow service, but worth it."
  ]),
  r("Canton Road Sushi", "Tsim Sha Tsui", "Japanese", ["lunch", "dinner"], 3, 4.4, [
    "Fresh fish, excellent omakase.",
    "A little expensive for the portion size."
  ]),
  r("Star Ferry Breakfast Club", "Tsim Sha Tsui", "Café", ["breakfast", "brunch"], 1, 3.8, [
    "Good milk tea and pineapple buns.",
    "Rude staff on a busy morning."
  ]),
  r("Causeway Hot Pot", "Causeway Bay", "Hot pot", ["dinner", "late-night"], 2, 4.3, [
    "Fresh beef and a delicious spicy broth.",
    "Busy and loud, book ahead."
  ]),
  r("Times Square Dim Sum", "Causeway Bay", "Cantonese", ["breakfast", "brunch", "lunch"], 2, 4.2, [
    "Excellent har gow, quick service.",
    "Crowded on weekends."
  ]),
  r("Leighton Pasta Lab", "Causeway Bay", "Italian", ["lunch", "dinner"], 3, 4.5, [
    "Perfect handmade pasta, lovely tiramisu.",
    "Friendly staff, cozy room."
  ]),
  r("Paterson Vegan Kitchen", "Causeway Bay", "Vegan", ["brunch", "lunch"], 2, 4.6, [
    "Delicious and creative plant-based bowls.",
    "Great smoothies, friendly service."
  ]),
  r("Mong Kok Cha Chaan Teng", "Mong Kok", "Hong Kong café", ["breakfast", "lunch", "late-night"], 1, 4.1, [
    "Classic French toast, cheap and tasty.",
    "Hectic and noisy, service is rushed."
  ]),
  r("Sai Yeung Choi Skewers", "Mong Kok", "Street food", ["dinner", "late-night"], 1, 3.7, [
    "Tasty fish balls.",
    "Greasy and the queue is long."
  ]),
  r("Langham Thai Garden", "Mong Kok", "Thai", ["lunch", "dinner"], 2, 4.4, [
    "Excellent green curry, fresh herbs.",
    "Friendly staff and good value."
  ]),
  r("Portland Street Korean BBQ", "Mong Kok", "Korean", ["dinner", "late-night"], 3, 4.2, [
    "Great marinated beef, fun atmosphere.",
    "Smoky and a bit pricey."
  ]),
  r("Sheung Wan Seafood Market", "Sheung Wan", "Seafood", ["lunch", "dinner"], 3, 4.5, [
    "Fresh steamed fish, excellent garlic prawns.",
    "Pricey, but outstanding quality."
  ]),
  r("Tai Ping Shan Tea House", "Sheung Wan", "Tea house", ["breakfast", "brunch", "lunch"], 2, 4.6, [
    "Wonderful tea selection, peaceful and cozy.",
    "Delicious pastries, attentive service."
  ]),
  r("Hollywood Road Tapas", "Sheung Wan", "Spanish", ["dinner", "late-night"], 3, 4.3, [
    "Great croquetas and friendly bartenders.",
    "Loud on Fridays."
  ]),
  r("Western Market Congee", "Sheung Wan", "Cantonese", ["breakfast", "lunch"], 1, 4.0, [
    "Smooth congee, cheap and comforting.",
    "Basic room, slow service."
  ])
]

/**
 * @since 0.1.0
 * @category data
 */
export const districts: ReadonlyArray<string> = [...new Set(restaurants.map((restaurant) => restaurant.district))]

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

/**
 * Restaurants matching every given criterion, best rated first.
 *
 * @since 0.1.0
 * @category search
 */
export const search = (criteria: {
  readonly district?: string | undefined
  readonly mealType?: MealType | undefined
  readonly maxPriceLevel?: number | undefined
  readonly minRating?: number | undefined
}): ReadonlyArray<Restaurant> =>
  restaurants
    .filter((restaurant) =>
      (criteria.district === undefined || same(restaurant.district, criteria.district)) &&
      (criteria.mealType === undefined || restaurant.mealTypes.includes(criteria.mealType)) &&
      (criteria.maxPriceLevel === undefined || restaurant.priceLevel <= criteria.maxPriceLevel) &&
      (criteria.minRating === undefined || restaurant.rating >= criteria.minRating)
    )
    .sort((a, b) => b.rating - a.rating)

/**
 * Whether `district` is one of the data set's districts (case-insensitive).
 *
 * @since 0.1.0
 * @category search
 */
export const isDistrict = (district: string): boolean => districts.some((known) => same(known, district))

const positive = [
  "excellent", "outstanding", "amazing", "wonderful", "perfect", "delicious", "great", "lovely",
  "fresh", "friendly", "tasty", "cozy", "good", "attentive", "impeccable", "stunning", "creative",
  "generous", "authentic", "comforting", "smooth", "fun", "peaceful"
]
const negative = [
  "slow", "rude", "cramped", "loud", "noisy", "expensive", "pricey", "crowded", "greasy", "long",
  "rushed", "hectic", "basic", "smoky", "queue"
]

/**
 * @since 0.1.0
 * @category sentiment
 */
export interface Sentiment {
  readonly restaurant: string
  /** From -1 (all negative) to 1 (all positive). */
  readonly score: number
  readonly label: "positive" | "mixed" | "negative"
  readonly praised: ReadonlyArray<string>
  readonly criticized: ReadonlyArray<string>
  readonly reviews: number
}

/**
 * Lexicon sentiment of a restaurant's review snippets.
 *
 * @since 0.1.0
 * @category sentiment
 */
export const sentiment = (restaurant: Restaurant): Sentiment => {
  const words = restaurant.reviews.join(" ").toLowerCase().match(/[a-z]+/g) ?? []
  const praised = [...new Set(words.filter((word) => positive.includes(word)))]
  const criticized = [...new Set(words.filter((word) => negative.includes(word)))]
  const hits = words.filter((word) => positive.includes(word)).length - words.filter((word) => negative.includes(word)).length
  const total = words.filter((word) => positive.includes(word) || negative.includes(word)).length
  const score = total === 0 ? 0 : Math.round((hits / total) * 100) / 100
  return {
    restaurant: restaurant.name,
    score,
    label: score >= 0.4 ? "positive" : score <= -0.2 ? "negative" : "mixed",
    praised,
    criticized,
    reviews: restaurant.reviews.length
  }
}

/**
 * @since 0.1.0
 * @category recommendation
 */
export interface Preferences {
  readonly maxPriceLevel?: number | undefined
  readonly cuisine?: string | undefined
  readonly occasion?: string | undefined
}

/**
 * @since 0.1.0
 * @category recommendation
 */
export interface Recommendation {
  readonly name: string
  readonly score: number
  readonly reasons: ReadonlyArray<string>
}

/**
 * Ranks candidates by rating, review sentiment and fit with the preferences.
 *
 * @since 0.1.0
 * @category recommendation
 */
export const recommend = (
  candidates: ReadonlyArray<Restaurant>,
  preferences: Preferences,
  limit: number
): ReadonlyArray<Recommendation> =>
  candidates
    .map((restaurant) => {
      const mood = sentiment(restaurant)
      const reasons: Array<string> = [`rated ${restaurant.rating.toFixed(1)}`]
      let score = restaurant.rating + mood.score
      if (mood.praised.length > 0) reasons.push(`reviews praise: ${mood.praised.slice(0, 3).join(", ")}`)
      if (preferences.cuisine !== undefined && same(restaurant.cuisine, preferences.cuisine)) {
        score += 1
        reasons.push(`serves ${restaurant.cuisine}`)
      }
      if (preferences.maxPriceLevel !== undefined) {
        if (restaurant.priceLevel <= preferences.maxPriceLevel) reasons.push("within budget")
        else score -= 2
      }
      if (preferences.occasion !== undefined && /celebrat|special|anniversar/i.test(preferences.occasion)) {
        score += restaurant.priceLevel >= 3 ? 0.5 : 0
        if (restaurant.priceLevel >= 3) reasons.push("suits a special occasion")
      }
      return { name: restaurant.name, score: Math.round(score * 100) / 100, reasons }
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
