import { availability } from "../../core/availability.js";
import { checkIntegrity } from "../../core/audit.js";
import { DAY_LISTS, dayList, getBooking, type DayList } from "../../core/bookings.js";
import { fieldError, invalidField } from "../errors.js";
import { availabilityFromQuery, single } from "../requests.js";
import { inPathId, type Handler, type Route } from "../route.js";

/** The reads: one booking, availability, the day lists and the audit. */

const getOne: Handler = async (_req, _url, [id = ""], ctx) => {
  const booking = await getBooking(ctx.hotel, inPathId(id));
  return { status: 200, body: { booking }, log: { bookingId: booking.id } };
};

const getAvailability: Handler = async (_req, url, _params, ctx) => {
  const query = availabilityFromQuery(url.searchParams);
  try {
    return { status: 200, body: await availability(ctx.hotel, query) };
  } catch (error) {
    throw fieldError("tier", error, ["NOT_FOUND"]);
  }
};

const dayListHandler =
  (list: DayList): Handler =>
  async (_req, url, _params, ctx) => {
    const date = single(url.searchParams, "date");
    try {
      return { status: 200, body: await dayList(ctx.hotel, list, date) };
    } catch (error) {
      throw fieldError("date", error, ["INVALID_INPUT"]);
    }
  };

// 200 whatever the verdict: the request succeeded, `ok` says whether the data is sound.
const check: Handler = async (_req, url, _params, ctx) => {
  if ([...url.searchParams.keys()].length > 0) throw invalidField([...url.searchParams.keys()][0] ?? "", "GET /api/check takes no parameters");
  return { status: 200, body: await checkIntegrity(ctx.hotel) };
};

export const readRoutes: Route[] = [
  { pattern: /^\/api\/bookings\/([^/]+)$/, methods: { GET: getOne } },
  { pattern: /^\/api\/availability$/, methods: { GET: getAvailability } },
  ...DAY_LISTS.map((list) => ({ pattern: new RegExp(`^/api/${list}$`), methods: { GET: dayListHandler(list) } })),
  { pattern: /^\/api\/check$/, methods: { GET: check } },
];
