import { describe, expect, it } from "vitest";
import { addDays, addYears, ageOn, birthDateForAge, fromDay, isCalendarDate, toDay } from "./dates.js";
import { Rng } from "./prng.js";

describe("synthetic dates", () => {
  it("does day arithmetic across months, leap days and before 1970", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(fromDay(toDay("1903-05-17"))).toBe("1903-05-17");
    expect(addYears("2024-02-29", 1)).toBe("2025-02-28");
    expect(isCalendarDate("2025-02-29")).toBe(false);
  });

  it("gives birth dates with exactly the asked age", () => {
    const rng = new Rng("age");
    for (let age = 0; age < 90; age++) {
      const dob = birthDateForAge(rng, age, "2026-03-31");
      expect(ageOn(dob, "2026-03-31")).toBe(age);
      expect(isCalendarDate(dob)).toBe(true);
    }
  });
});
