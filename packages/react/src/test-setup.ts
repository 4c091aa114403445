import { configure } from '@testing-library/react';

// Testing Library's waits give up after 1 s by default. The first render of a file loads the
// recorder's capture lazily, which Vite transforms on first use: well past 1 s when the machine's
// two cores are busy (a router test once saw no marker yet). The waits end as soon as their
// condition holds, so a longer bound costs nothing when it does.
configure({ asyncUtilTimeout: 5_000 });
