/** Calendar quarters (which are also the NHS financial quarters: Apr–Jun is Q1) cut to a return period. */
import type { ReturnPeriod } from "../port.js";

/** One quarter, clipped to the period: its label (the quarter's first day) and the days it covers. */
export interface Quarter {
  label: string;
  from: string;
  to: string;
}

const pad = (n: number) => String(n).padStart(2, "0");
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The quarters meeting `period`, in order, each clipped to it. */
export function quartersOf(period: ReturnPeriod): Quarter[] {
  const out: Quarter[] = [];
  let y = Number(period.start.slice(0, 4));
  let m = Math.floor((Number(period.start.slice(5, 7)) - 1) / 3) * 3 + 1;
  for (;;) {
    const start = `${y}-${pad(m)}-01`;
    if (start > period.end) return out;
    const end = `${y}-${pad(m + 2)}-${pad(lastDay(y, m + 2))}`;
    out.push({
      label: start,
      from: start < period.start ? period.start : start,
      to: end > period.end ? period.end : end,
    });
    m += 3;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
}
