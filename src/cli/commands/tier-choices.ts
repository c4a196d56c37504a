import { availability } from "../../core/availability.js";
import { HotelError, notFound } from "../../core/errors.js";
import { printable } from "../../core/text.js";
import type { Hotel } from "../../core/hotel.js";
import type { Choice } from "../prompt.js";

/**
 * The tiers to choose from when asking for one, each with the suites free on
 * every night of the stay at best (the fewest free on any of its nights, from
 * the same counts `hotel availability` shows). A full tier stays listed, so a
 * person sees why it cannot be chosen. Shared by book and, later, move.
 */
export async function tierChoices(hotel: Hotel, stay: { checkIn: string; checkOut: string }): Promise<Choice<string>[]> {
  const result = await availability(hotel, { from: stay.checkIn, to: stay.checkOut });
  if (result.tiers.length === 0) throw notFound("No tiers yet: run `hotel db seed` or `hotel suites add`");
  const width = Math.max(...result.tiers.map((tier) => printable(tier.tier).length));
  const choices = result.tiers.map((tier) => {
    const free = Math.min(...tier.nights.map((night) => night.free));
    // The count is part of the label, so every tier shows it, not only the highlighted one.
    const count = free === 0 ? `full (${tier.capacity} suites)` : `${free} of ${tier.capacity} free`;
    return { value: tier.tier, label: `${printable(tier.tier).padEnd(width)}  ${count}`, disabled: free === 0 };
  });
  if (choices.every((choice) => choice.disabled)) {
    throw new HotelError("NO_AVAILABILITY", `No tier has a suite free from ${stay.checkIn} to ${stay.checkOut}`);
  }
  return choices;
}
