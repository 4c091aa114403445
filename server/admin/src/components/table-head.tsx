/** A table's header row of plain column names; an empty name heads a column of actions. */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name, index) => (
          <th scope="col" key={index}>
            {name || null}
          </th>
        ))}
      </tr>
    </thead>
  );
}
