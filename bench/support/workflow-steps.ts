/** Milliseconds from schedule to completion of each activity, from the workflow history. */
export async function activityTimes(handle: { fetchHistory(): Promise<{ events?: any[] | null }> }) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, { name: string; at: number }>();
  const steps: string[] = [];
  const time = (event: any) => Number(event.eventTime.seconds) * 1000 + event.eventTime.nanos / 1e6;
  for (const event of events) {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (attrs) scheduled.set(String(event.eventId), { name: attrs.activityType.name, at: time(event) });
    const done = event.activityTaskCompletedEventAttributes;
    const begun = done && scheduled.get(String(done.scheduledEventId));
    if (begun) steps.push(`${begun.name} ${(time(event) - begun.at).toFixed(0)}`);
  }
  return steps.join(', ');
}
