-- Everything the store knows but its events (see `attrib export`), by natural keys and in a fixed order, without what depends on
-- when or in which order things were stored (surrogate ids, credited_at, restated_at, version):
-- two stores of the same events print the same text.
.mode list
.separator |
SELECT 'id', i.value, i.user, p.value FROM ids i JOIN ids p ON p.id = coalesce(i.person, i.id)
ORDER BY i.user, i.value;
SELECT 'link', f.value, f.user, t.value, l.alias, l.at FROM links l
JOIN ids f ON f.id = l.from_id JOIN ids t ON t.id = l.to_id ORDER BY 2, 3, 4, 5;
SELECT 'bad', reason, message, raw, origin FROM bad_rows ORDER BY raw, origin;
SELECT 'session', p.value, s.seq, s.start, s.end, s.events, c.source, c.medium, c.rule_id
FROM sessions s JOIN ids p ON p.id = s.person JOIN classes c USING(class_id)
ORDER BY p.value, s.seq;
SELECT 'conversion', v.message_id, v.event_key, p.value, v.at, v.kind, v.revenue, v.currency,
  v.touchpoints
FROM conversions v JOIN ids p ON p.id = v.person ORDER BY p.value, v.at, v.event_key;
SELECT 'credit', p.value, r.event_key, r.touch, r.session_start, c.rule_id, c.source,
  r.first_touch, r.last_touch, r.last_non_direct, r.linear, r.time_decay, r.u_shaped,
  r.w_shaped, r.participation
FROM credits r JOIN ids p ON p.id = r.person JOIN classes c USING(class_id)
ORDER BY p.value, r.event_key, r.touch;
SELECT 'reach', g.dim, g.value, a.day, a.prev_day, a.visitors, a.touchpoints
FROM agg_reach a JOIN groups g USING(group_id) ORDER BY 2, 3, 4, 5;
SELECT 'credits', g.dim, g.value, a.kind, a.day, a.credit_first_touch, a.credit_last_touch,
  a.credit_last_non_direct, a.credit_linear, a.credit_time_decay, a.credit_u_shaped,
  a.credit_w_shaped, a.credit_participation, a.revenue_first_touch, a.revenue_last_touch,
  a.revenue_last_non_direct, a.revenue_linear, a.revenue_time_decay, a.revenue_u_shaped,
  a.revenue_w_shaped, a.revenue_participation
FROM agg_credits a JOIN groups g USING(group_id) ORDER BY 2, 3, 4, 5;
SELECT 'totals', kind, day, currency, conversions, revenue FROM agg_conversions ORDER BY 2, 3, 4;
-- A path's group ids ("12>5>12") spelled as the groups' values.
WITH RECURSIVE spelt(dim, f, day, rest, names, conversions, revenue, nulls) AS (
  SELECT dim, conversion_filter, day, path || '>', '', conversions, revenue, nulls FROM agg_paths
  UNION ALL
  SELECT dim, f, day, substr(rest, instr(rest, '>') + 1),
    names || '>' || (SELECT value FROM groups
                     WHERE group_id = CAST(substr(rest, 1, instr(rest, '>') - 1) AS INTEGER)),
    conversions, revenue, nulls
  FROM spelt WHERE rest != '')
SELECT 'paths', dim, f, day, names, conversions, revenue, nulls FROM spelt WHERE rest = ''
ORDER BY 2, 3, 4, 5;
SELECT 'dirty', count(*) FROM dirty;
