/** The operation the Sandbox opens with: a tour of the graph on the shipped data. */
export const EXAMPLE_OPERATION = `# Welcome to the transcript archive. Run this, then explore the schema on the left.
query Tour {
  allSeries {
    id
    title
    episodes {
      id
      number
      durationSeconds
      speakers { id name }
      segments {
        id
        title
        start { smpte seconds }
        turns {
          number
          speaker { name }
          start { smpte }
          text
        }
      }
    }
  }
}
`;
